/*
 * lwIP beside tapstack in examples/bench.sh: Debian's liblwip (2.1.3, its threaded build: a tcpip thread, and a
 * thread reading the TAP) serving what tapstack's `services` command serves, through lwIP's raw API, all in the
 * tcpip thread: echo (RFC 862) on TCP and UDP port 7, discard (RFC 863) on 9, chargen (RFC 864) on 19, and HTTP on
 * 80 answering every request with the bytes of RESPONSE_FILE (the stack's own response, as the kernel side does).
 * The TAP is read and written by this file's own netif driver: the package's tapif copies a frame longer than one
 * pool pbuf past the end of its buffer (valgrind: an invalid write after a 616-byte block; bulk traffic crashes).
 * Usage: lwip-services TAP IP NETMASK RESPONSE_FILE     (the TAP must exist; its kernel side is configured by the caller)
 * Build: cc -O2 $(pkg-config --cflags lwip) lwip-services.c -o lwip-services $(pkg-config --libs lwip) -lpthread
 */
#define _GNU_SOURCE /* strcasestr */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <linux/if.h>
#include <linux/if_tun.h>

#include "lwip/init.h"
#include "lwip/tcpip.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "lwip/netif.h"
#include "lwip/etharp.h"
#include "netif/ethernet.h"

enum kind { ECHO, DISCARD, CHARGEN, HTTP };

struct conn {
    enum kind kind;
    size_t head_len;      /* HTTP: bytes of the request head seen so far (kept for the Connection header) */
    char head[4096];
    int close_after;
};

static struct netif tap;
static int tap_fd = -1;
static const char *tap_name;
static ip4_addr_t address, netmask, gateway;
static char *response;
static size_t response_len;
static char chargen_block[8192];

/* linkoutput: one write(2) per frame, as tapstack and the package's tapif do */
static err_t tap_output(struct netif *netif, struct pbuf *p)
{
    (void)netif;
    char frame[1518];
    if (p->tot_len > sizeof(frame)) {
        return ERR_IF;
    }
    u16_t n = pbuf_copy_partial(p, frame, p->tot_len, 0);
    return write(tap_fd, frame, n) == n ? ERR_OK : ERR_IF;
}

/* The reader thread: each frame into one contiguous pbuf, handed to the tcpip thread (tcpip_input). */
static void *tap_reader(void *arg)
{
    struct netif *netif = arg;
    char frame[2048];
    for (;;) {
        ssize_t n = read(tap_fd, frame, sizeof(frame));
        if (n <= 0) {
            continue;
        }
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_RAM);
        if (p == NULL) {
            continue;
        }
        memcpy(p->payload, frame, (size_t)n);
        if (netif->input(p, netif) != ERR_OK) {
            pbuf_free(p);
        }
    }
    return NULL;
}

static err_t tap_init(struct netif *netif)
{
    struct ifreq ifr;
    tap_fd = open("/dev/net/tun", O_RDWR);
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    strncpy(ifr.ifr_name, tap_name, IFNAMSIZ - 1);
    if (tap_fd < 0 || ioctl(tap_fd, TUNSETIFF, &ifr) < 0) {
        perror("lwip-services: /dev/net/tun");
        exit(1);
    }
    netif->name[0] = 't';
    netif->name[1] = 'p';
    netif->mtu = 1500;
    netif->hwaddr_len = 6;
    static const u8_t mac[6] = {0x02, 0x1a, 0x77, 0x00, 0x00, 0x02};
    memcpy(netif->hwaddr, mac, 6);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
    netif->output = etharp_output;
    netif->linkoutput = tap_output;
    pthread_t reader;
    pthread_create(&reader, NULL, tap_reader, netif);
    return ERR_OK;
}

static void finish(struct tcp_pcb *pcb, struct conn *c)
{
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    free(c);
    if (tcp_close(pcb) != ERR_OK) {
        tcp_abort(pcb);
    }
}

static void on_error(void *arg, err_t err)
{
    (void)err;
    free(arg); /* the pcb is gone already */
}

static void chargen_fill(struct tcp_pcb *pcb)
{
    u16_t room;
    while ((room = tcp_sndbuf(pcb)) > 0 && tcp_sndqueuelen(pcb) < TCP_SND_QUEUELEN) {
        u16_t n = room < sizeof(chargen_block) ? room : sizeof(chargen_block);
        if (tcp_write(pcb, chargen_block, n, 0) != ERR_OK) { /* static data: no copy */
            break;
        }
    }
    tcp_output(pcb);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)len;
    struct conn *c = arg;
    if (c != NULL && c->kind == CHARGEN) {
        chargen_fill(pcb);
    }
    return ERR_OK;
}

/* HTTP: one response per complete request head; "Connection: close" closes after it. */
static int http_input(struct tcp_pcb *pcb, struct conn *c, struct pbuf *p)
{
    for (struct pbuf *q = p; q != NULL; q = q->next) {
        const char *bytes = q->payload;
        for (u16_t i = 0; i < q->len; i++) {
            if (c->head_len < sizeof(c->head) - 1) {
                c->head[c->head_len++] = bytes[i];
            }
            if (c->head_len >= 4 && memcmp(c->head + c->head_len - 4, "\r\n\r\n", 4) == 0) {
                c->head[c->head_len] = 0;
                if (strcasestr(c->head, "connection: close") != NULL) {
                    c->close_after = 1;
                }
                c->head_len = 0;
                if (tcp_write(pcb, response, (u16_t)response_len, 0) != ERR_OK) {
                    return -1;
                }
            }
        }
    }
    return 0;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct conn *c = arg;
    if (p == NULL || err != ERR_OK) {
        if (p != NULL) {
            pbuf_free(p);
        }
        finish(pcb, c);
        return ERR_OK;
    }
    switch (c->kind) {
    case ECHO:
        if (tcp_sndbuf(pcb) < p->tot_len) {
            return ERR_MEM; /* lwIP keeps the pbuf and offers it again later: back-pressure */
        }
        for (struct pbuf *q = p; q != NULL; q = q->next) {
            tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY);
        }
        break;
    case HTTP:
        if (tcp_sndbuf(pcb) < response_len || http_input(pcb, c, p) != 0) {
            pbuf_free(p);
            tcp_arg(pcb, NULL);
            tcp_err(pcb, NULL); /* on_error would free c a second time */
            free(c);
            tcp_abort(pcb);
            return ERR_ABRT;
        }
        break;
    default: /* discard, and whatever a chargen client sends */
        break;
    }
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    tcp_output(pcb);
    if (c->close_after) {
        finish(pcb, c);
    }
    return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    if (err != ERR_OK || pcb == NULL) {
        return ERR_VAL;
    }
    struct conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    c->kind = (enum kind)(long)arg;
    tcp_nagle_disable(pcb);
    tcp_arg(pcb, c);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_error);
    if (c->kind == CHARGEN) {
        chargen_fill(pcb);
    }
    return ERR_OK;
}

static void listen_on(u16_t port, enum kind kind)
{
    struct tcp_pcb *pcb = tcp_new();
    if (pcb == NULL || tcp_bind(pcb, IP_ADDR_ANY, port) != ERR_OK) {
        fprintf(stderr, "lwip-services: cannot bind TCP port %u\n", port);
        exit(1);
    }
    pcb = tcp_listen_with_backlog(pcb, 255);
    tcp_arg(pcb, (void *)(long)kind);
    tcp_accept(pcb, on_accept);
}

static void udp_echo(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
    (void)arg;
    udp_sendto(pcb, p, addr, port);
    pbuf_free(p);
}

static void start(void *arg)
{
    (void)arg;
    netif_add(&tap, &address, &netmask, &gateway, NULL, tap_init, tcpip_input);
    netif_set_default(&tap);
    netif_set_up(&tap);
    netif_set_link_up(&tap);
    listen_on(7, ECHO);
    listen_on(9, DISCARD);
    listen_on(19, CHARGEN);
    listen_on(80, HTTP);
    struct udp_pcb *udp = udp_new();
    udp_bind(udp, IP_ADDR_ANY, 7);
    udp_recv(udp, udp_echo, NULL);
    fprintf(stderr, "lwip-services: %s up (lwIP %s)\n", ip4addr_ntoa(&address), LWIP_VERSION_STRING);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s TAP IP NETMASK RESPONSE_FILE\n", argv[0]);
        return 2;
    }
    tap_name = argv[1];
    argv++;
    if (!ip4addr_aton(argv[1], &address) || !ip4addr_aton(argv[2], &netmask)) {
        fprintf(stderr, "lwip-services: bad address or netmask\n");
        return 2;
    }
    ip4_addr_set_zero(&gateway);
    FILE *f = fopen(argv[3], "rb");
    if (f == NULL) {
        perror(argv[3]);
        return 1;
    }
    response = malloc(65536);
    response_len = fread(response, 1, 65536, f);
    fclose(f);
    for (size_t i = 0; i < sizeof(chargen_block); i++) {
        chargen_block[i] = (char)(32 + i % 95);
    }
    tcpip_init(start, NULL);
    for (;;) {
        pause();
    }
}
