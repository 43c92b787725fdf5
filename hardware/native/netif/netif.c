/*
 * esp_netif helpers Moddable does not expose: make an interface the default route, ask whether it
 * is up, and send one ICMP echo bound to it (esp_ping's .interface), so standby links are probed
 * over themselves. esp_ping calls back on its own task; the result is posted to the XS machine.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"
#include "esp_netif.h"
#include "esp_netif_net_stack.h"	/* esp_netif_get_netif_impl: the lwIP netif behind an esp_netif */
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
	/* No payload: the RTT is timed here, and a 28-byte echo is what the data budget counts. */
	config.data_size = 0;
	config.timeout_ms = xsmcToInteger(xsArg(2));
	config.interface = esp_netif_get_netif_impl_index(netif);
	esp_ping_callbacks_t callbacks = { .cb_args = pr, .on_ping_success = pingSuccess, .on_ping_timeout = pingTimeout, .on_ping_end = NULL };
	if ((ESP_OK != esp_ping_new_session(&config, &callbacks, &pr->session)) || (ESP_OK != esp_ping_start(pr->session))) {
		xsForget(pr->callback);
		c_free(pr);
		xsUnknownError("ping session failed");
	}
}

/*
	Per-interface traffic counters for the Traffic port. lwIP keeps per-netif counters only with
	MIB2_STATS (LWIP_SNMP), which ESP-IDF's Kconfig does not offer, and CONFIG_LWIP_STATS counts for
	the whole stack, not per interface. So on the first read of an interface its netif's input and
	output hooks are wrapped, and count what crosses them: IP packets out (output, before ARP or
	PPP framing) and frames or packets in (input, as the driver hands them to lwIP). No sdkconfig
	option is needed. Single writer per field, 32-bit aligned: a reader never sees a torn value.
*/
#include "lwip/netif.h"
#include "lwip/pbuf.h"

#define kCountedMax 4

typedef struct {
	struct netif *netif;
	netif_input_fn input;
	netif_output_fn output;
	uint32_t rxPackets, rxBytes, txPackets, txBytes, lastRxAt;
	uint8_t seen;
} CountedNetif;

static CountedNetif gCounted[kCountedMax];

static CountedNetif *countedFor(struct netif *n)
{
	for (int i = 0; i < kCountedMax; i++)
		if (gCounted[i].netif == n) return &gCounted[i];
	return NULL;
}

static err_t countedInput(struct pbuf *p, struct netif *inp)
{
	CountedNetif *c = countedFor(inp);
	c->rxPackets++;
	c->rxBytes += p->tot_len;
	c->lastRxAt = modMilliseconds();
	c->seen = 1;
	return c->input(p, inp);
}

static err_t countedOutput(struct netif *n, struct pbuf *p, const ip4_addr_t *addr)
{
	CountedNetif *c = countedFor(n);
	c->txPackets++;
	c->txBytes += p->tot_len;
	return c->output(n, p, addr);
}

void xs_netif_counters(xsMachine *the)
{
	esp_netif_t *en = netifFor(the, 0);
	struct netif *n = en ? esp_netif_get_netif_impl(en) : NULL;
	CountedNetif *c = n ? countedFor(n) : NULL;
	if (n && !c) {
		c = countedFor(NULL);
		if (c) {
			/* Swapped in the tcpip thread's absence of a lock is safe: each pointer store is atomic. */
			c->netif = n;
			c->input = n->input;
			c->output = n->output;
			n->input = countedInput;
			n->output = countedOutput;
		}
	}
	if (!c) {
		xsmcSetBoolean(xsResult, 0);
		return;
	}
	xsmcVars(1);
	xsmcSetNumber(xsVar(0), c->rxPackets); xsmcSet(xsArg(1), xsID_rxPackets, xsVar(0));
	xsmcSetNumber(xsVar(0), c->rxBytes); xsmcSet(xsArg(1), xsID_rxBytes, xsVar(0));
	xsmcSetNumber(xsVar(0), c->txPackets); xsmcSet(xsArg(1), xsID_txPackets, xsVar(0));
	xsmcSetNumber(xsVar(0), c->txBytes); xsmcSet(xsArg(1), xsID_txBytes, xsVar(0));
	xsmcSetNumber(xsVar(0), c->seen ? (double)c->lastRxAt : -1); xsmcSet(xsArg(1), xsID_lastRxAt, xsVar(0));
	xsmcSetBoolean(xsResult, 1);
}
