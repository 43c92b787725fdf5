/*
 * esp_netif helpers Moddable does not expose: make an interface the default route, ask whether it
 * is up, and send ICMP echoes bound to it, so standby links are probed over themselves.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"
#include "esp_netif.h"
#include "esp_netif_net_stack.h"	/* esp_netif_get_netif_impl: the lwIP netif behind an esp_netif */
#include "esp_timer.h"
#include "lwip/inet.h"
#include "lwip/raw.h"
#include "lwip/icmp.h"
#include "lwip/inet_chksum.h"
#include "lwip/prot/ip4.h"
#include "lwip/priv/tcpip_priv.h"

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

/*
	ICMP echoes. Every echo of every link leaves through one lwIP raw PCB, from the link's own
	address on its own netif (raw_sendto_if_src), and replies are matched by identifier and
	sequence number: a link may have many echoes out at once (the firmware's echoesInFlight) at the
	cost of a record each, where an esp_ping session would take a socket and a task per echo. The
	PCB is touched only in the tcpip thread (tcpip_api_call); replies arrive there and are posted
	to the XS machine; deadlines are checked on a timer in the XS thread. A record's state moves
	out -> answered (tcpip thread) or out -> delivering (timer) only through echoMove, under a
	critical section, so each echo is reported exactly once.
*/
#define kEchoMax 48			/* three links x 12 echoes in flight, and room */
#define kEchoId 0x5246
#define kEchoTickMs 20

enum { kEchoFree = 0, kEchoOut, kEchoAnswered, kEchoDelivering };

typedef struct {
	xsSlot callback;
	int64_t sentUs;
	uint32_t deadlineMs;
	int32_t rtt;
	uint16_t seq;
	volatile uint8_t state;
} EchoRecord;

typedef struct {
	struct tcpip_api_call_data call;
	struct netif *netif;
	ip_addr_t target;
	uint16_t seq;
} EchoSend;

static EchoRecord gEcho[kEchoMax];
static struct raw_pcb *gEchoPcb;
static uint16_t gEchoSeq;
static modTimer gEchoTimer;
static xsMachine *gEchoThe;

/* Move `r` from state `from` to `to` if it is still in `from`; either thread may race for it. */
static uint8_t echoMove(EchoRecord *r, uint8_t from, uint8_t to)
{
	modCriticalSectionBegin();
	uint8_t moved = (from == r->state);
	if (moved) r->state = to;
	modCriticalSectionEnd();
	return moved;
}

/* XS thread; the record is in kEchoDelivering. */
static void echoFinish(EchoRecord *r, int32_t rtt)
{
	xsBeginHost(gEchoThe);
		xsmcVars(1);
		xsVar(0) = r->callback;
		xsForget(r->callback);
		r->state = kEchoFree;
		xsCallFunction1(xsVar(0), xsGlobal, xsInteger(rtt));
	xsEndHost(the);
}

static void echoDeliver(void *the, void *refcon, uint8_t *message, uint16_t messageLength)
{
	EchoRecord *r = &gEcho[*(uint8_t *)message];
	if (echoMove(r, kEchoAnswered, kEchoDelivering)) echoFinish(r, r->rtt);
}

static void echoTick(modTimer timer, void *refcon, int refconSize)
{
	uint32_t now = modMilliseconds();
	for (uint8_t i = 0; i < kEchoMax; i++) {
		EchoRecord *r = &gEcho[i];
		if ((kEchoOut != r->state) || ((int32_t)(now - r->deadlineMs) < 0)) continue;
		if (echoMove(r, kEchoOut, kEchoDelivering)) echoFinish(r, -1);
	}
}

/* tcpip thread: an echo reply to one of ours is taken (and freed); anything else goes on to lwIP. */
static u8_t echoReceive(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
	struct ip_hdr iph;
	struct icmp_echo_hdr echo;
	if (pbuf_copy_partial(p, &iph, sizeof(iph), 0) != sizeof(iph)) return 0;
	if (pbuf_copy_partial(p, &echo, sizeof(echo), IPH_HL_BYTES(&iph)) != sizeof(echo)) return 0;
	if ((ICMP_ER != echo.type) || (PP_HTONS(kEchoId) != echo.id)) return 0;
	uint16_t seq = lwip_ntohs(echo.seqno);
	int64_t now = esp_timer_get_time();
	for (uint8_t i = 0; i < kEchoMax; i++) {
		EchoRecord *r = &gEcho[i];
		if ((r->seq != seq) || (kEchoOut != r->state)) continue;
		if (echoMove(r, kEchoOut, kEchoAnswered)) {
			/* Read by the XS thread only once the message below reaches it. */
			r->rtt = (int32_t)((now - r->sentUs + 500) / 1000);
			modMessagePostToMachine(gEchoThe, &i, sizeof(i), echoDeliver, NULL);
		}
		break;
	}
	pbuf_free(p);
	return 1;
}

/* tcpip thread: an 8-byte echo request (no payload: 28 bytes each way is what the data budget counts). */
static err_t echoSendInLwip(struct tcpip_api_call_data *call)
{
	EchoSend *m = (EchoSend *)call;
	if (!gEchoPcb) {
		gEchoPcb = raw_new(IP_PROTO_ICMP);
		if (!gEchoPcb) return ERR_MEM;
		raw_recv(gEchoPcb, echoReceive, NULL);
	}
	struct pbuf *p = pbuf_alloc(PBUF_IP, sizeof(struct icmp_echo_hdr), PBUF_RAM);
	if (!p) return ERR_MEM;
	struct icmp_echo_hdr *h = (struct icmp_echo_hdr *)p->payload;
	h->type = ICMP_ECHO;
	h->code = 0;
	h->chksum = 0;
	h->id = PP_HTONS(kEchoId);
	h->seqno = lwip_htons(m->seq);
	h->chksum = inet_chksum(h, sizeof(*h));
	err_t err = raw_sendto_if_src(gEchoPcb, p, &m->target, m->netif, netif_ip_addr4(m->netif));
	pbuf_free(p);
	return err;
}

/* ping(ifkey, address, timeoutMs, callback): callback(rttMs), or callback(-1) when unanswered in time. */
void xs_netif_ping(xsMachine *the)
{
	esp_netif_t *en = netifFor(the, 0);
	struct netif *netif = en ? esp_netif_get_netif_impl(en) : NULL;
	EchoSend m;
	if (!netif || !ipaddr_aton(xsmcToString(xsArg(1)), &m.target) || !IP_IS_V4(&m.target))
		xsUnknownError("bad interface or address");
	if (ip4_addr_isany_val(*netif_ip4_addr(netif)))
		xsUnknownError("interface has no address");

	EchoRecord *r = NULL;
	for (int i = 0; i < kEchoMax; i++) {
		if (kEchoFree == gEcho[i].state) {
			r = &gEcho[i];
			break;
		}
	}
	if (!r)
		xsUnknownError("too many echoes in flight");
	if (!gEchoTimer) {
		gEchoThe = the;
		gEchoTimer = modTimerAdd(kEchoTickMs, kEchoTickMs, echoTick, NULL, 0);
		if (!gEchoTimer)
			xsUnknownError("no timer");
	}

	r->callback = xsArg(3);
	xsRemember(r->callback);
	m.netif = netif;
	m.seq = r->seq = ++gEchoSeq;
	r->deadlineMs = modMilliseconds() + (uint32_t)xsmcToInteger(xsArg(2));
	r->sentUs = esp_timer_get_time();
	r->state = kEchoOut;		/* before the send: the reply may come back at once */
	if (ERR_OK != tcpip_api_call(echoSendInLwip, &m.call)) {
		if (echoMove(r, kEchoOut, kEchoFree)) xsForget(r->callback);
		xsUnknownError("echo send failed");
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
