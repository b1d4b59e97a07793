/* Things a run says once per host, not once per rank: 64 ranks on a node
 * print one line, not 64. */
#ifndef BD_HOST_ONCE_H
#define BD_HOST_ONCE_H

/* 1 for the first process of this run on this host to ask about `what`
 * (a short word), 0 for every later ask (this process's or another rank's). */
int bd_once_per_host(const char *what);

#endif
