/*
 * The LAN clients' DNS server. The DHCP server names the router itself (lan.c), and this relay
 * answers on its UDP port 53, sending each query on to lwIP's first IPv4 DNS server. With
 * CONFIG_ESP_NETIF_SET_DNS_PER_DEFAULT_NETIF that is the default netif's own server, so after a
 * switch the next query goes to the new uplink's resolver. Handing clients the uplink's resolver
 * in the DHCP offer instead would tie them to the old uplink's resolver until their lease renews
 * (esp-idf dhcpserver: 120 minutes by default), and many ISP and carrier resolvers answer only
 * their own customers or sit on private addresses that other uplinks cannot reach.
 *
 * lwIP raw UDP API in the tcpip thread: no BSD socket is used (the firmware's four are budgeted,
 * design.md), two udp_pcbs are. The LAN pcb is bound to the AP netif only, so the relay is never
 * an open resolver on an uplink. Each query gets a fresh random ID toward the resolver, and a
 * reply is accepted only from the server the query went to; the upstream port is the pcb's one
 * ephemeral port (a spoofer must still guess the 16-bit ID). DNS over TCP is not relayed: a
 * client that gets a truncated answer and retries over TCP is refused by lwIP with a RST.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"
#include "esp_netif.h"
#include "esp_netif_net_stack.h"
#include "lwip/udp.h"
#include "lwip/dns.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"

#define kDnsPort 53
#define kPending 16
#define kPendingMs 5000
#define kHeaderBytes 12
#define kQueryMaxBytes 512

typedef struct {
	ip_addr_t client;
	ip_addr_t server;
	u32_t at;
	u16_t clientPort;
	u16_t clientId;
	u16_t id;
	u8_t used;
} Pending;

static struct udp_pcb *gLan = NULL;
static struct udp_pcb *gUp = NULL;
static Pending gPending[kPending];
/* Written in the tcpip thread only; 32-bit aligned, so a reader never sees a torn value. */
static u32_t gQueries = 0, gAnswers = 0, gDropped = 0;

static u16_t idOf(struct pbuf *p)
{
	return (u16_t)((pbuf_get_at(p, 0) << 8) | pbuf_get_at(p, 1));
}

static void setId(struct pbuf *p, u16_t id)
{
	pbuf_put_at(p, 0, (u8_t)(id >> 8));
	pbuf_put_at(p, 1, (u8_t)id);
}

/* A free slot, or the oldest one (its client's own retry covers the loss). */
static Pending *slotFor(u32_t now)
{
	Pending *oldest = &gPending[0];
	for (int i = 0; i < kPending; i++) {
		Pending *s = &gPending[i];
		if (!s->used || ((u32_t)(now - s->at) > kPendingMs))
			return s;
		if ((u32_t)(now - s->at) > (u32_t)(now - oldest->at))
			oldest = s;
	}
	gDropped++;
	return oldest;
}

/* The default netif's first IPv4 server (main, then backup): the pcbs are IPv4. */
static const ip_addr_t *upstream(void)
{
	for (u8_t i = 0; i < DNS_MAX_SERVERS; i++) {
		const ip_addr_t *server = dns_getserver(i);
		if (server && IP_IS_V4(server) && !ip_addr_isany(server))
			return server;
	}
	return NULL;
}

static void fromClient(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
	const ip_addr_t *server = upstream();
	/* Queries only (QR bit clear), of a size a stub resolver sends over UDP. */
	if ((p->tot_len < kHeaderBytes) || (p->tot_len > kQueryMaxBytes) || (pbuf_get_at(p, 2) & 0x80) || !server) {
		gDropped++;
		pbuf_free(p);
		return;
	}
	u32_t now = sys_now();
	Pending *s = slotFor(now);
	ip_addr_copy(s->client, *addr);
	ip_addr_copy(s->server, *server);
	s->clientPort = port;
	s->clientId = idOf(p);
	s->id = (u16_t)LWIP_RAND();
	s->at = now;
	s->used = 1;
	setId(p, s->id);
	if (ERR_OK == udp_sendto(gUp, p, server, kDnsPort))
		gQueries++;
	else {
		s->used = 0;
		gDropped++;
	}
	pbuf_free(p);
}

static void fromServer(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
	if ((kDnsPort == port) && (p->tot_len >= kHeaderBytes)) {
		u16_t id = idOf(p);
		for (int i = 0; i < kPending; i++) {
			Pending *s = &gPending[i];
			if (s->used && (s->id == id) && IP_IS_V4(addr) &&
				(ip4_addr_get_u32(ip_2_ip4(&s->server)) == ip4_addr_get_u32(ip_2_ip4(addr)))) {
				s->used = 0;
				setId(p, s->clientId);
				if (ERR_OK == udp_sendto(gLan, p, &s->client, s->clientPort))
					gAnswers++;
				pbuf_free(p);
				return;
			}
		}
	}
	gDropped++;
	pbuf_free(p);
}

static esp_err_t startInLwip(void *ctx)
{
	struct netif *lan = ctx;
	if (gLan)
		return ESP_OK;
	gLan = udp_new_ip_type(IPADDR_TYPE_V4);
	gUp = udp_new_ip_type(IPADDR_TYPE_V4);
	if (!gLan || !gUp || (ERR_OK != udp_bind(gLan, IP4_ADDR_ANY, kDnsPort)) || (ERR_OK != udp_bind(gUp, IP4_ADDR_ANY, 0))) {
		if (gLan) udp_remove(gLan);
		if (gUp) udp_remove(gUp);
		gLan = gUp = NULL;
		return ESP_FAIL;
	}
	udp_bind_netif(gLan, lan);
	udp_recv(gLan, fromClient, NULL);
	udp_recv(gUp, fromServer, NULL);
	return ESP_OK;
}

/* start(lanIfkey): serve DNS on that interface (the AP, "WIFI_AP_DEF"). */
void xs_dnsrelay_start(xsMachine *the)
{
	esp_netif_t *lan = esp_netif_get_handle_from_ifkey(xsmcToString(xsArg(0)));
	struct netif *n = lan ? esp_netif_get_netif_impl(lan) : NULL;
	if (!n)
		xsRangeError("unknown interface");
	if (ESP_OK != esp_netif_tcpip_exec(startInLwip, n))
		xsUnknownError("DNS relay: no UDP pcb or port 53 taken");
}

/* counters(into): {queries, answers, dropped} since start. */
void xs_dnsrelay_counters(xsMachine *the)
{
	xsmcVars(1);
	xsmcSetNumber(xsVar(0), gQueries); xsmcSet(xsArg(0), xsID_queries, xsVar(0));
	xsmcSetNumber(xsVar(0), gAnswers); xsmcSet(xsArg(0), xsID_answers, xsVar(0));
	xsmcSetNumber(xsVar(0), gDropped); xsmcSet(xsArg(0), xsID_dropped, xsVar(0));
	xsResult = xsArg(0);
}
