/*
 * The clients' side of the router: a Wi-Fi soft AP (WPA2/WPA3 personal), the DHCP server on its
 * netif handing out the router as gateway and as DNS server (the dnsrelay module answers there),
 * and lwIP's NAPT from the AP to whichever netif is the default route.
 *
 * What esp-lwip's NAPT does when the default netif changes (src/core/ipv4/ip4_napt.c): an entry
 * keeps the inside source, the remote end and the mapped port, never the outside address or
 * netif; every forwarded packet gets the address of the netif it leaves by. So after
 * esp_netif_set_default_netif() the next packet of a UDP or ICMP flow leaves the new uplink with
 * the new address and the same mapped port, and replies to that port are translated back: those
 * flows move at once with nothing dropped. A TCP connection moves too, but its far end sees a
 * new source address: it answers with a RST (the client fails at its next segment) or, behind a
 * stateful firewall, not at all (the client hangs until its own timeouts). Only freeing the
 * entry makes lwIP send the client a RST at once (ip_napt_free), and esp-lwip exports no call
 * that frees entries: ip_napt_enable(addr, 0) only clears a netif's flag and, when no netif is
 * left with NAPT, frees the whole table without a RST. dropFlows() therefore uses
 * ip_napt_drop_default_routed() from the optional esp-lwip patch in
 * boards/esp32-router/lwip/, and reports -1 on a stock esp-lwip.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"
#include "esp_event.h"
#include "esp_netif.h"
#include "esp_netif_net_stack.h"
#include "esp_wifi.h"
#include "dhcpserver/dhcpserver.h"
#include "lwip/netif.h"
#include "lwip/lwip_napt.h"
#include "lwip/prot/ip.h"

#if !IP_NAPT
	#error "the LAN needs CONFIG_LWIP_IP_FORWARD and CONFIG_LWIP_IPV4_NAPT (boards/esp32-router/sdkconfig)"
#endif

/* From the optional esp-lwip patch: frees (with RSTs for live TCP) the entries of `proto` (0: all)
   whose destination is on no attached subnet, i.e. the flows that followed the default route. */
extern int ip_napt_drop_default_routed(u8_t proto) __attribute__((weak));

static esp_netif_t *gAP = NULL;
static volatile uint8_t gConfigured = 0;
static volatile uint8_t gNapt = 0;

static void enableNapt(void)
{
	/* esp_netif_napt_enable() fails while the AP netif is down; the AP_START handler calls again. */
	if (gAP && gConfigured && esp_netif_is_netif_up(gAP))
		gNapt = (ESP_OK == esp_netif_napt_enable(gAP));
}

static void onAPEvent(void *arg, esp_event_base_t base, int32_t id, void *data)
{
	/* Registered after esp_netif's own AP handlers, so the netif is up when this runs. An AP that
	   restarts (a station channel change, a new config) comes back with NAPT on. */
	if (WIFI_EVENT_AP_START == id)
		enableNapt();
	else if (WIFI_EVENT_AP_STOP == id)
		gNapt = 0;
}

static size_t byteLength(const char *s)
{
	size_t n = 0;
	while (s[n]) n++;
	return n;
}

/*
	start(ssid, passphrase, maxStations): the Wi-Fi driver must already be initialised (the wifi
	module does it: the station uplink, or WiFi.mode). The AP interface is added beside the station.
*/
void xs_lan_start(xsMachine *the)
{
	wifi_config_t config;
	wifi_mode_t mode;
	esp_netif_ip_info_t ip;
	esp_netif_dns_info_t dns;
	/* Copied at once: a string's bytes may move when XS next allocates. */
	c_memset(&config, 0, sizeof(config));
	char *ssid = xsmcToString(xsArg(0));
	size_t ssidLength = byteLength(ssid);
	if ((ssidLength < 1) || (ssidLength > sizeof(config.ap.ssid)))
		xsRangeError("ssid: 1 to 32 bytes");
	c_memcpy(config.ap.ssid, ssid, ssidLength);
	config.ap.ssid_len = (uint8_t)ssidLength;
	char *pass = xsmcToString(xsArg(1));
	size_t passLength = byteLength(pass);
	/* WPA2's passphrase rule (IEEE 802.11 M.4); 64 hex digits is a raw PSK, which SAE cannot use. */
	if ((passLength < 8) || (passLength > 63))
		xsRangeError("passphrase: 8 to 63 characters");
	c_memcpy(config.ap.password, pass, passLength);
	int maxStations = xsmcToInteger(xsArg(2));
	if ((maxStations < 1) || (maxStations > 10))
		xsRangeError("maxStations: 1 to 10");

	if (ESP_OK != esp_wifi_get_mode(&mode))
		xsUnknownError("Wi-Fi driver not initialised");

	if (!gAP) {
		gAP = esp_netif_get_handle_from_ifkey("WIFI_AP_DEF");
		if (!gAP)
			gAP = esp_netif_create_default_wifi_ap();
		if (!gAP)
			xsUnknownError("no AP netif");
		if (ESP_OK != esp_event_handler_register(WIFI_EVENT, WIFI_EVENT_AP_START, onAPEvent, NULL) ||
			ESP_OK != esp_event_handler_register(WIFI_EVENT, WIFI_EVENT_AP_STOP, onAPEvent, NULL))
			xsUnknownError("AP event handler");
	}

	/* DHCP: the AP's own address (esp-netif's default 192.168.4.1/24) as gateway (the server's
	   default offer) and as DNS server; options can only be set while the server is stopped. */
	esp_netif_dhcps_stop(gAP);
	if (ESP_OK != esp_netif_get_ip_info(gAP, &ip))
		xsUnknownError("AP address");
	dhcps_offer_t offerDns = OFFER_DNS;
	c_memset(&dns, 0, sizeof(dns));
	dns.ip.type = ESP_IPADDR_TYPE_V4;
	dns.ip.u_addr.ip4.addr = ip.ip.addr;
	if ((ESP_OK != esp_netif_dhcps_option(gAP, ESP_NETIF_OP_SET, ESP_NETIF_DOMAIN_NAME_SERVER, &offerDns, sizeof(offerDns))) ||
		(ESP_OK != esp_netif_set_dns_info(gAP, ESP_NETIF_DNS_MAIN, &dns)))
		xsUnknownError("DHCP server DNS option");
	esp_err_t err = esp_netif_dhcps_start(gAP);
	if ((ESP_OK != err) && (ESP_ERR_ESP_NETIF_DHCP_ALREADY_STARTED != err))
		xsUnknownError("DHCP server start");

	/* The AP interface must be on before its config can be set (esp_wifi_set_config). Until our
	   config is in place NAPT stays off (gConfigured), so the driver's default open AP, for the
	   moment it may exist, routes nobody. */
	gConfigured = 0;
	wifi_mode_t want = (WIFI_MODE_STA == mode) || (WIFI_MODE_APSTA == mode) ? WIFI_MODE_APSTA : WIFI_MODE_AP;
	if ((want != mode) && (ESP_OK != esp_wifi_set_mode(want)))
		xsUnknownError("esp_wifi_set_mode");

	/* WPA3-SAE for clients that have it, WPA2-PSK (CCMP only, no TKIP) for the rest. PMF is offered,
	   not required, or WPA2 clients without it could not join; SAE itself always uses PMF. */
	config.ap.authmode = WIFI_AUTH_WPA2_WPA3_PSK;
	config.ap.pairwise_cipher = WIFI_CIPHER_TYPE_CCMP;
	config.ap.pmf_cfg.required = false;
	config.ap.sae_pwe_h2e = WPA3_SAE_PWE_BOTH;
	/* In AP+STA the AP follows the station's channel; 1 is only where it starts. */
	config.ap.channel = 1;
	config.ap.max_connection = (uint8_t)maxStations;
	config.ap.beacon_interval = 100;
	if (ESP_OK != esp_wifi_set_config(WIFI_IF_AP, &config))
		xsUnknownError("esp_wifi_set_config (AP)");
	gConfigured = 1;

	/* If the AP was already up (a second start), AP_START will not come again. */
	enableNapt();
}

typedef struct {
	int dropped;
} DropRequest;

static esp_err_t dropInLwip(void *ctx)
{
	/* TCP only: UDP and ICMP entries already carry their flows to the new uplink (see the top of
	   this file), and keeping them keeps a reply-first UDP flow's mapped port. */
	((DropRequest *)ctx)->dropped = ip_napt_drop_default_routed(IP_PROTO_TCP);
	return ESP_OK;
}

/*
	dropFlows(oldIfkey): called after the default route moved away from oldIfkey. Returns how many
	NAPT entries were freed, or -1 when this esp-lwip has no way to free them (stock esp-lwip).
*/
void xs_lan_dropFlows(xsMachine *the)
{
	DropRequest request = { .dropped = -1 };
	/* xsArg(0), the old interface, only names the flows: lwIP's entries carry no netif (see the
	   top of this file), so those that followed the default route are the old uplink's. */
	if (gNapt && ip_napt_drop_default_routed)
		esp_netif_tcpip_exec(dropInLwip, &request);
	xsmcSetInteger(xsResult, request.dropped);
}

/* status(into): {napt, dropAvailable}: whether NAPT is on at the AP, and whether dropFlows can free entries. */
void xs_lan_status(xsMachine *the)
{
	xsmcVars(1);
	xsmcSetBoolean(xsVar(0), gNapt);
	xsmcSet(xsArg(0), xsID_napt, xsVar(0));
	xsmcSetBoolean(xsVar(0), ip_napt_drop_default_routed != NULL);
	xsmcSet(xsArg(0), xsID_dropAvailable, xsVar(0));
	xsResult = xsArg(0);
}
