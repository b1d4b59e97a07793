/* Clocks. Durations are measured on the monotonic clock (immune to the
 * system clock being set); deadlines that cross machines (a run's time limit,
 * sent to workers on other nodes) use the wall clock, which a cluster keeps
 * in step. */
#ifndef BD_CLOCK_H
#define BD_CLOCK_H

/* Seconds on the monotonic clock, from an arbitrary origin. */
double bd_monotonic_seconds(void);
/* Seconds since the Unix epoch. */
double bd_wall_time(void);

#endif
