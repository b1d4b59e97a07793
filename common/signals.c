#include "signals.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig) {
    if (!stop_signal) stop_signal = sig;
}

void bd_stop_signals_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

int bd_stop_signal(void) { return stop_signal; }

const char *bd_signal_name(int sig, char *buf, unsigned cap) {
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev) snprintf(buf, cap, "SIG%s", abbrev);
    else snprintf(buf, cap, "signal %d", sig);
    return buf;
}
