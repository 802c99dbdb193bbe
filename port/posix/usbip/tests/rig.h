/* Test rig: a USB/IP server with the test device, polled by a thread of
 * its own so the test can use the blocking client. The device state is
 * shared: look at it (or call into it) only between rig_lock/rig_unlock. */
#ifndef DFUBOOT_PORT_POSIX_USBIP_TESTS_RIG_H
#define DFUBOOT_PORT_POSIX_USBIP_TESTS_RIG_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "port/posix/usbip/tests/test_device.h"
#include "port/posix/usbip/usbip_server.h"

struct rig {
    struct usbip_server *srv;
    struct usb_device dev;
    pthread_t thread;
    pthread_mutex_t mu;
    atomic_int stop, want;
    int port;
};

static inline void *rig_main(void *arg)
{
    struct rig *r = arg;

    while (!atomic_load(&r->stop)) {
        while (atomic_load(&r->want))
            sched_yield();
        pthread_mutex_lock(&r->mu);
        usbip_server_poll(r->srv, 10);
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

/* listen_fd >= 0: adopt that socket. Returns 0 or a negative errno. */
static inline int rig_start(struct rig *r, int listen_fd)
{
    struct usbip_server_config cfg = { .port = 0, .listen_fd = listen_fd, .verbose = getenv("USBIP_VERBOSE") != NULL };
    int e;

    memset(r, 0, sizeof(*r));
    e = usbip_server_open(&r->srv, &cfg);
    if (e < 0)
        return e;
    testdev_init(&r->dev, usbip_server_dc_ops(r->srv));
    usbip_server_set_device(r->srv, &r->dev);
    r->port = usbip_server_port(r->srv);
    pthread_mutex_init(&r->mu, NULL);
    pthread_create(&r->thread, NULL, rig_main, r);
    return 0;
}

static inline void rig_lock(struct rig *r)
{
    atomic_store(&r->want, 1);
    pthread_mutex_lock(&r->mu);
    atomic_store(&r->want, 0);
}

static inline void rig_unlock(struct rig *r)
{
    pthread_mutex_unlock(&r->mu);
}

static inline void rig_stop(struct rig *r)
{
    atomic_store(&r->stop, 1);
    pthread_join(r->thread, NULL);
    usbip_server_close(r->srv);
    pthread_mutex_destroy(&r->mu);
}

#endif
