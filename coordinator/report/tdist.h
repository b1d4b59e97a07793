/* Student's t distribution, for the confidence intervals of the `detection`
 * view (finding 2). The view cannot call C (it must work from the plain
 * sqlite3 CLI), so it reads its quantiles from the `t_quantiles` view, which
 * coordinator/db/db_views.c generates from these functions; tests/report
 * checks every tabulated value against them. */
#ifndef BD_TDIST_H
#define BD_TDIST_H

/* The regularized incomplete beta function I_x(a, b), a, b > 0, x in [0, 1]
 * (continued fraction, modified Lentz; about 1e-14 absolute). */
double bd_incomplete_beta(double x, double a, double b);

/* P(T <= t) for Student's t with df > 0 degrees of freedom. */
double bd_t_cdf(double t, double df);

/* The p-quantile (0 < p < 1) of Student's t with df > 0 degrees of freedom,
 * by bisection on bd_t_cdf to double precision. */
double bd_t_quantile(double p, double df);

/* The degrees of freedom tabulated in `t_quantiles`: 1..100, then 120, 150,
 * 200, 300, 500, 1000, 10000. A Welch df between two rows uses the lower row
 * (floor): t quantiles fall as df grows, so this widens the interval a little
 * and never narrows it. */
extern const int bd_t_table_df[];
extern const int bd_t_table_n;

#endif
