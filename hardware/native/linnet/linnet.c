/*
 * The Linux kernel's data plane for the desktop (lin) build, so that on a Linux host the firmware
 * is a real router: the default route and per-uplink source routing over rtnetlink, the NAT state
 * of one uplink dropped over ctnetlink, ICMP echoes that leave by the uplink they judge, and the
 * interface counters the Traffic port reads. Everything is non-blocking or bounded: the XS loop
 * must never wait on the kernel for longer than one netlink round trip.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "modTimer.h"
#include "mc.xs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/fib_rules.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>

/* ---- netlink: one request, one acknowledgement ---- */

typedef struct {
	struct nlmsghdr n;
	char body[512];
} NlRequest;

static void nlInit(NlRequest *r, uint16_t type, uint16_t flags, const void *head, size_t headLen)
{
	c_memset(r, 0, sizeof(*r));
	r->n.nlmsg_len = NLMSG_LENGTH(headLen);
	r->n.nlmsg_type = type;
	r->n.nlmsg_flags = NLM_F_REQUEST | flags;
	c_memcpy(NLMSG_DATA(&r->n), head, headLen);
}

static void nlAttr(NlRequest *r, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)&r->n + NLMSG_ALIGN(r->n.nlmsg_len));
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	c_memcpy(RTA_DATA(a), data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* 0 when the kernel acknowledged the request, else a negative errno. */
static int nlTalk(int protocol, struct nlmsghdr *msg)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	if (fd < 0) return -errno;
	struct timeval tv = { 1, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	msg->nlmsg_flags |= NLM_F_ACK;
	int result = -EIO;
	if (sendto(fd, msg, msg->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		result = -errno;
	else {
		char buf[4096];
		int n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) result = -errno;
		else {
			struct nlmsghdr *h = (struct nlmsghdr *)buf;
			if (NLMSG_OK(h, (unsigned)n) && h->nlmsg_type == NLMSG_ERROR)
				result = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
	close(fd);
	return result;
}

static int parseIPv4(const char *text, uint32_t *out)
{
	struct in_addr a;
	if (inet_pton(AF_INET, text, &a) != 1) return 0;
	*out = a.s_addr;
	return 1;
}

/* A default route via `gateway` out of `dev`, in `table`, replacing whatever default was there. */
static int replaceDefault(uint32_t table, int ifindex, uint32_t gateway)
{
	NlRequest r;
	struct rtmsg rt = {
		.rtm_family = AF_INET, .rtm_table = table < 256 ? table : RT_TABLE_UNSPEC,
		.rtm_protocol = RTPROT_STATIC, .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST,
	};
	nlInit(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &rt, sizeof(rt));
	if (table >= 256) nlAttr(&r, RTA_TABLE, &table, sizeof(table));
	nlAttr(&r, RTA_GATEWAY, &gateway, sizeof(gateway));
	nlAttr(&r, RTA_OIF, &ifindex, sizeof(ifindex));
	return nlTalk(NETLINK_ROUTE, &r.n);
}

static int interfaceAddress(const char *dev, uint32_t *out)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) return 0;
	struct ifreq ifr;
	c_memset(&ifr, 0, sizeof(ifr));
	c_strncpy(ifr.ifr_name, dev, IFNAMSIZ - 1);
	int ok = ioctl(fd, SIOCGIFADDR, &ifr) == 0;
	close(fd);
	if (ok) *out = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr;
	return ok;
}

/* setDefault(dev, gateway): the main table's default route moves to this uplink. */
void xs_linnet_setDefault(xsMachine *the)
{
	const char *dev = xsmcToString(xsArg(0));
	int ifindex = if_nametoindex(dev);
	uint32_t gateway;
	if (!ifindex || !parseIPv4(xsmcToString(xsArg(1)), &gateway)) {
		xsmcSetInteger(xsResult, -EINVAL);
		return;
	}
	xsmcSetInteger(xsResult, replaceDefault(RT_TABLE_MAIN, ifindex, gateway));
}

/*
 * bindUplink(dev, gateway, table): what is sent from the uplink's own address leaves by that
 * uplink, whichever uplink holds the default route (a table with its own default, and a rule
 * "from <address> lookup <table>"). Probes and the standby's traffic need this; users' flows
 * follow the main table. Idempotent: an existing rule is not added twice.
 */
void xs_linnet_bindUplink(xsMachine *the)
{
	const char *dev = xsmcToString(xsArg(0));
	int ifindex = if_nametoindex(dev);
	uint32_t gateway, address, table = (uint32_t)xsmcToInteger(xsArg(2));
	if (!ifindex || !parseIPv4(xsmcToString(xsArg(1)), &gateway) || table < 1 || table > 250) {
		xsmcSetInteger(xsResult, -EINVAL);
		return;
	}
	if (!interfaceAddress(dev, &address)) {
		xsmcSetInteger(xsResult, -EADDRNOTAVAIL);
		return;
	}
	int err = replaceDefault(table, ifindex, gateway);
	if (err == 0) {
		NlRequest r;
		struct fib_rule_hdr rule = {
			.family = AF_INET, .src_len = 32, .table = table, .action = FR_ACT_TO_TBL,
		};
		uint32_t priority = 1000 + table;
		nlInit(&r, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, &rule, sizeof(rule));
		nlAttr(&r, FRA_SRC, &address, sizeof(address));
		nlAttr(&r, FRA_PRIORITY, &priority, sizeof(priority));
		err = nlTalk(NETLINK_ROUTE, &r.n);
		if (err == -EEXIST) err = 0;
	}
	xsmcSetInteger(xsResult, err);
}

/* address(dev): the interface's IPv4 address as text, or undefined. */
void xs_linnet_address(xsMachine *the)
{
	uint32_t a;
	char text[INET_ADDRSTRLEN];
	if (interfaceAddress(xsmcToString(xsArg(0)), &a) && inet_ntop(AF_INET, &a, text, sizeof(text)))
		xsmcSetString(xsResult, text);
}

/* ---- conntrack: drop the translations of one uplink ---- */

#define kNatDropMax 4096

static const struct nlattr *nlaFind(const char *start, int len, uint16_t type)
{
	const struct nlattr *a = (const struct nlattr *)start;
	while (len >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == type) return a;
		int step = NLA_ALIGN(a->nla_len);
		len -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
	return NULL;
}

#define nlaData(a) ((const char *)(a) + NLA_HDRLEN)
#define nlaLen(a) ((int)(a)->nla_len - NLA_HDRLEN)

/* The reply tuple's destination, for an entry whose source the kernel translated (masquerade). */
static int translatedTo(const struct nlmsghdr *h, uint32_t *to)
{
	const char *attrs = (const char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	int len = (int)h->nlmsg_len - (int)(attrs - (const char *)h);
	const struct nlattr *status = nlaFind(attrs, len, CTA_STATUS);
	if (!status || nlaLen(status) < 4) return 0;
	uint32_t bits;
	c_memcpy(&bits, nlaData(status), 4);
	if (!(ntohl(bits) & IPS_SRC_NAT)) return 0;
	const struct nlattr *reply = nlaFind(attrs, len, CTA_TUPLE_REPLY);
	const struct nlattr *ip = reply ? nlaFind(nlaData(reply), nlaLen(reply), CTA_TUPLE_IP) : NULL;
	const struct nlattr *dst = ip ? nlaFind(nlaData(ip), nlaLen(ip), CTA_IP_V4_DST) : NULL;
	if (!dst || nlaLen(dst) < 4) return 0;
	c_memcpy(to, nlaData(dst), 4);
	return 1;
}

/* One dump-then-delete round: up to kNatDropMax entries; the count deleted, or a negative errno. */
static int dropNatRound(uint32_t address, int *seen)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0) return -errno;
	struct timeval tv = { 1, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int rcvbuf = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	NlRequest r;
	struct nfgenmsg nfg = { .nfgen_family = AF_INET, .version = NFNETLINK_V0 };
	nlInit(&r, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET, NLM_F_DUMP, &nfg, sizeof(nfg));
	int result = 0;
	/* Original tuples to delete, each an nlattr copied whole from the dump. */
	char **tuples = c_calloc(kNatDropMax, sizeof(char *));
	int count = 0;
	if (!tuples) result = -ENOMEM;
	else if (sendto(fd, &r.n, r.n.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) result = -errno;
	else {
		static char buf[65536];
		int done = 0;
		while (!done) {
			int n = recv(fd, buf, sizeof(buf), 0);
			if (n < 0) { result = -errno; break; }
			for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
				if (h->nlmsg_type == NLMSG_DONE) { done = 1; break; }
				if (h->nlmsg_type == NLMSG_ERROR) { result = ((struct nlmsgerr *)NLMSG_DATA(h))->error; done = 1; break; }
				uint32_t to;
				if (!translatedTo(h, &to) || to != address) continue;
				(*seen)++;
				if (count >= kNatDropMax) continue;
				const char *attrs = (const char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct nfgenmsg));
				const struct nlattr *orig = nlaFind(attrs, (int)h->nlmsg_len - (int)(attrs - (const char *)h), CTA_TUPLE_ORIG);
				if (!orig || orig->nla_len > 400) continue;
				tuples[count] = c_malloc(orig->nla_len);
				if (!tuples[count]) continue;
				c_memcpy(tuples[count++], orig, orig->nla_len);
			}
		}
	}
	close(fd);
	int dropped = 0;
	for (int i = 0; i < count; i++) {
		if (result == 0) {
			const struct nlattr *orig = (const struct nlattr *)tuples[i];
			nlInit(&r, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE, 0, &nfg, sizeof(nfg));
			nlAttr(&r, CTA_TUPLE_ORIG, nlaData(orig), nlaLen(orig));
			int err = nlTalk(NETLINK_NETFILTER, &r.n);
			/* ENOENT: the entry expired between the dump and now, which is what we wanted. */
			if (err == 0 || err == -ENOENT) dropped++;
		}
		c_free(tuples[i]);
	}
	c_free(tuples);
	return result < 0 ? result : dropped;
}

/*
 * dropNat(address): delete the conntrack entries whose source was translated to `address` (the
 * flows masqueraded out of one uplink), and no others: never a global flush. Their next packet is
 * a new flow to the kernel and is translated through the uplink that holds the default route now,
 * so a UDP stream (a call) moves at once instead of waiting for its entry to time out. Returns the
 * number deleted, or a negative errno. Entries are collected in a dump, then deleted by their
 * original tuple (a dump must not be changed under its reader); a LAN with more flows than one
 * round holds takes more rounds, at most kNatDropRounds.
 */
#define kNatDropRounds 16

void xs_linnet_dropNat(xsMachine *the)
{
	uint32_t address;
	if (!parseIPv4(xsmcToString(xsArg(0)), &address)) {
		xsmcSetInteger(xsResult, -EINVAL);
		return;
	}
	int total = 0;
	for (int round = 0; round < kNatDropRounds; round++) {
		int seen = 0;
		int dropped = dropNatRound(address, &seen);
		if (dropped < 0) {
			xsmcSetInteger(xsResult, total ? total : dropped);
			return;
		}
		total += dropped;
		if (seen <= kNatDropMax) break;
	}
	xsmcSetInteger(xsResult, total);
}

/* ---- interface state and counters (sysfs) ---- */

static int readSys(const char *dev, const char *leaf, char *out, int size)
{
	char path[96];
	if (c_strlen(dev) >= IFNAMSIZ || c_strchr(dev, '/') || c_strchr(dev, '.') == dev) return 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", dev, leaf);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return 0;
	int n = read(fd, out, size - 1);
	close(fd);
	if (n <= 0) return 0;
	out[n] = 0;
	return 1;
}

static double readCounter(const char *dev, const char *leaf)
{
	char text[32];
	return readSys(dev, leaf, text, sizeof(text)) ? (double)strtoull(text, NULL, 10) : -1;
}

/* isUp(dev): the interface is administratively up and has carrier (a cable, a peer). */
void xs_linnet_isUp(xsMachine *the)
{
	char text[8];
	xsmcSetBoolean(xsResult, readSys(xsmcToString(xsArg(0)), "carrier", text, sizeof(text)) && text[0] == '1');
}

static double nowMs(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec * 1000.0 + (double)(tv.tv_usec / 1000);
}

#define kCountedMax 4
static struct { char dev[IFNAMSIZ]; int fd; double rxPackets; double lastRxAt; } gCounted[kCountedMax];

/*
 * What proves a path forwards is an IP packet addressed to us, not any frame: a dead ISP's router
 * still answers ARP, and the link carries IPv6 neighbour discovery, MLD and other customers'
 * broadcasts (on a veth here, 3 frames before any IPv4 and 9 in 31 during a test). Counted as
 * arrivals they restart a blackholed uplink's silence. So arrivals are counted by a packet socket
 * that takes only IPv4 packets for this host (a four-instruction filter on the packet type) and is
 * never read: the kernel counts what passes the filter, queued or dropped, and PACKET_STATISTICS
 * hands the count over (and resets it). Without CAP_NET_RAW the interface's own counter serves.
 */
static int ipv4Counter(const char *dev)
{
	int ifindex = if_nametoindex(dev);
	if (!ifindex) return -1;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (fd < 0) return -1;
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_HOST, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	int small = 1;
	struct sockaddr_ll at = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = ifindex };
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0
		|| setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) < 0
		|| bind(fd, (struct sockaddr *)&at, sizeof(at)) < 0) {
		close(fd);
		return -1;
	}
	struct tpacket_stats st;
	socklen_t len = sizeof(st);
	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len);	/* counting from now */
	return fd;
}

/*
 * counters(dev, into): the kernel's counters of the interface, with rxPackets the IPv4 packets
 * addressed to this host (above). The kernel keeps no time of the last packet in, so it is the
 * time (Time.ticks clock) of the first read that saw the count grow: as exact as the caller's
 * polling (100 ms while users' traffic flows).
 */
void xs_linnet_counters(xsMachine *the)
{
	const char *dev = xsmcToString(xsArg(0));
	double frames = readCounter(dev, "statistics/rx_packets");
	if (frames < 0) {
		xsmcSetFalse(xsResult);
		return;
	}
	int slot = -1;
	for (int i = 0; i < kCountedMax && slot < 0; i++)
		if (!c_strcmp(gCounted[i].dev, dev)) slot = i;
	for (int i = 0; i < kCountedMax && slot < 0; i++)
		if (!gCounted[i].dev[0]) {
			slot = i;
			c_strncpy(gCounted[i].dev, dev, IFNAMSIZ - 1);
			gCounted[i].fd = ipv4Counter(dev);
			gCounted[i].rxPackets = gCounted[i].fd < 0 ? frames : 0;
			gCounted[i].lastRxAt = -1;
		}
	if (slot < 0) {
		xsmcSetFalse(xsResult);
		return;
	}
	double rx = frames;
	if (gCounted[slot].fd >= 0) {
		struct tpacket_stats st;
		socklen_t len = sizeof(st);
		rx = gCounted[slot].rxPackets;
		if (getsockopt(gCounted[slot].fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) rx += st.tp_packets;
	}
	if (rx != gCounted[slot].rxPackets) {
		gCounted[slot].rxPackets = rx;
		gCounted[slot].lastRxAt = nowMs();
	}
	xsmcVars(1);
	xsmcSetNumber(xsVar(0), rx);
	xsmcSet(xsArg(1), xsID_rxPackets, xsVar(0));
	xsmcSetNumber(xsVar(0), readCounter(dev, "statistics/rx_bytes"));
	xsmcSet(xsArg(1), xsID_rxBytes, xsVar(0));
	xsmcSetNumber(xsVar(0), readCounter(dev, "statistics/tx_packets"));
	xsmcSet(xsArg(1), xsID_txPackets, xsVar(0));
	xsmcSetNumber(xsVar(0), readCounter(dev, "statistics/tx_bytes"));
	xsmcSet(xsArg(1), xsID_txBytes, xsVar(0));
	xsmcSetNumber(xsVar(0), gCounted[slot].lastRxAt);
	xsmcSet(xsArg(1), xsID_lastRxAt, xsVar(0));
	xsmcSetTrue(xsResult);
}

/* ---- ICMP echo over one uplink ---- */

/*
 * Sent from the uplink's address and bound to its device, so the per-uplink rule routes it out of
 * that uplink whatever holds the default route (dpinger's -B does the same). The reply's time is
 * the kernel's receive stamp (SO_TIMESTAMP), so the 2 ms polling adds nothing to the RTT.
 */
#define kPollMs 2

typedef struct {
	xsMachine *the;
	xsSlot callback;
	modTimer timer;
	int fd;
	uint16_t id;
	uint32_t target;
	struct timeval sent;
	double deadline;
} PingRecord;

static uint16_t gPingId;

static uint16_t checksum(const void *data, int len)
{
	const uint16_t *p = data;
	uint32_t sum = 0;
	for (; len > 1; len -= 2) sum += *p++;
	if (len) sum += *(const uint8_t *)p;
	sum = (sum >> 16) + (sum & 0xffff);
	sum += sum >> 16;
	return (uint16_t)~sum;
}

static void pingFinish(PingRecord *pr, int rtt)
{
	modTimerRemove(pr->timer);
	close(pr->fd);
	xsMachine *the = pr->the;
	xsBeginHost(the);
		xsmcVars(1);
		xsVar(0) = pr->callback;
		xsForget(pr->callback);
		c_free(pr);
		xsCallFunction1(xsVar(0), xsGlobal, xsInteger(rtt));
	xsEndHost(the);
}

static void pingPoll(modTimer timer, void *refcon, int refconSize)
{
	PingRecord *pr = *(PingRecord **)refcon;
	char packet[256], control[128];
	for (;;) {
		struct sockaddr_in from;
		struct iovec iov = { packet, sizeof(packet) };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control, .msg_controllen = sizeof(control) };
		int n = recvmsg(pr->fd, &msg, MSG_DONTWAIT);
		if (n <= 0) break;
		struct ip *ip = (struct ip *)packet;
		int hl = ip->ip_hl * 4;
		if (n < hl + 8 || from.sin_addr.s_addr != pr->target) continue;
		struct icmp *icmp = (struct icmp *)(packet + hl);
		if (icmp->icmp_type != ICMP_ECHOREPLY || ntohs(icmp->icmp_id) != pr->id) continue;
		struct timeval at;
		gettimeofday(&at, NULL);
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMP) c_memcpy(&at, CMSG_DATA(c), sizeof(at));
		long us = (at.tv_sec - pr->sent.tv_sec) * 1000000L + (at.tv_usec - pr->sent.tv_usec);
		pingFinish(pr, us < 0 ? 0 : (int)((us + 500) / 1000));
		return;
	}
	if (nowMs() >= pr->deadline) pingFinish(pr, -1);
}

/* ping(dev, address, timeoutMs, callback): callback(rttMs) or callback(-1) on timeout or error. */
void xs_linnet_ping(xsMachine *the)
{
	const char *dev = xsmcToString(xsArg(0));
	uint32_t target, source;
	int timeoutMs = xsmcToInteger(xsArg(2));
	if (!parseIPv4(xsmcToString(xsArg(1)), &target)) xsUnknownError("bad address");
	PingRecord *pr = c_calloc(1, sizeof(PingRecord));
	if (!pr) xsUnknownError("no memory");
	pr->fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (pr->fd < 0) {
		c_free(pr);
		xsUnknownError("no raw socket");
	}
	int on = 1;
	setsockopt(pr->fd, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof(on));
	setsockopt(pr->fd, SOL_SOCKET, SO_BINDTODEVICE, dev, c_strlen(dev));
	if (interfaceAddress(dev, &source)) {
		struct sockaddr_in local = { .sin_family = AF_INET, .sin_addr.s_addr = source };
		bind(pr->fd, (struct sockaddr *)&local, sizeof(local));
	}
	pr->the = the;
	pr->target = target;
	pr->id = (uint16_t)((getpid() << 6) ^ ++gPingId);
	struct icmp echo;
	c_memset(&echo, 0, sizeof(echo));
	echo.icmp_type = ICMP_ECHO;
	echo.icmp_id = htons(pr->id);
	echo.icmp_seq = htons(gPingId);
	echo.icmp_cksum = checksum(&echo, 8);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = target };
	gettimeofday(&pr->sent, NULL);
	pr->deadline = nowMs() + timeoutMs;
	pr->callback = xsArg(3);
	xsRemember(pr->callback);
	/* A send that fails (no route, carrier gone) is a probe unanswered: reported at the deadline
	   like a loss, so the caller sees one kind of failure from a dead path. */
	sendto(pr->fd, &echo, 8, 0, (struct sockaddr *)&to, sizeof(to));
	pr->timer = modTimerAdd(kPollMs, kPollMs, pingPoll, &pr, sizeof(pr));
}
