/*
 * esp_netif helpers Moddable does not expose: make an interface the default route, ask whether it
 * is up, and send one ICMP echo bound to it (esp_ping's .interface), so standby links are probed
 * over themselves. esp_ping calls back on its own task; the result is posted to the XS machine.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"
#include "esp_netif.h"
#include "ping/ping_sock.h"
#include "lwip/inet.h"

typedef struct {
	xsMachine *the;
	xsSlot callback;
	esp_ping_handle_t session;
	int32_t rtt;
} PingRecord;

static esp_netif_t *netifFor(xsMachine *the, int arg)
{
	esp_netif_t *netif = esp_netif_get_handle_from_ifkey(xsmcToString(xsArg(arg)));
	return netif;
}

void xs_netif_setDefault(xsMachine *the)
{
	esp_netif_t *netif = netifFor(the, 0);
	xsmcSetBoolean(xsResult, netif && (ESP_OK == esp_netif_set_default_netif(netif)));
}

void xs_netif_isUp(xsMachine *the)
{
	esp_netif_t *netif = netifFor(the, 0);
	xsmcSetBoolean(xsResult, netif && esp_netif_is_netif_up(netif));
}

static void pingDeliver(void *the, void *refcon, uint8_t *message, uint16_t messageLength)
{
	PingRecord *pr = *(PingRecord **)message;
	xsBeginHost(pr->the);
		xsCallFunction1(pr->callback, xsGlobal, xsInteger(pr->rtt));
		xsForget(pr->callback);
	xsEndHost(pr->the);
	esp_ping_delete_session(pr->session);
	c_free(pr);
}

static void pingDone(esp_ping_handle_t hdl, void *args, int32_t rtt)
{
	PingRecord *pr = args;
	pr->rtt = rtt;
	modMessagePostToMachine(pr->the, (uint8_t *)&pr, sizeof(pr), pingDeliver, NULL);
}

static void pingSuccess(esp_ping_handle_t hdl, void *args)
{
	uint32_t elapsed;
	esp_ping_get_profile(hdl, ESP_PING_PROF_TIMEGAP, &elapsed, sizeof(elapsed));
	pingDone(hdl, args, (int32_t)elapsed);
}

static void pingTimeout(esp_ping_handle_t hdl, void *args)
{
	pingDone(hdl, args, -1);
}

void xs_netif_ping(xsMachine *the)
{
	esp_netif_t *netif = netifFor(the, 0);
	ip_addr_t target;
	if (!netif || !ipaddr_aton(xsmcToString(xsArg(1)), &target))
		xsUnknownError("bad interface or address");

	PingRecord *pr = c_calloc(1, sizeof(PingRecord));
	if (!pr)
		xsUnknownError("no memory");
	pr->the = the;
	pr->callback = xsArg(3);
	xsRemember(pr->callback);

	esp_ping_config_t config = ESP_PING_DEFAULT_CONFIG();
	config.target_addr = target;
	config.count = 1;
	config.timeout_ms = xsmcToInteger(xsArg(2));
	config.interface = esp_netif_get_netif_impl_index(netif);
	esp_ping_callbacks_t callbacks = { .cb_args = pr, .on_ping_success = pingSuccess, .on_ping_timeout = pingTimeout, .on_ping_end = NULL };
	if ((ESP_OK != esp_ping_new_session(&config, &callbacks, &pr->session)) || (ESP_OK != esp_ping_start(pr->session))) {
		xsForget(pr->callback);
		c_free(pr);
		xsUnknownError("ping session failed");
	}
}
