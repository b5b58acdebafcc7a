/* Fixed-bucket histograms for the Prometheus endpoint: cumulative counts
 * per upper bound, a sum and a count, as Prometheus histograms are. */
#ifndef REDRAFT_UTIL_HISTOGRAM_H
#define REDRAFT_UTIL_HISTOGRAM_H

#include <stdint.h>

#define HISTO_MAX_BUCKETS 24

typedef struct histogram {
    int n;                              /* buckets, besides +Inf */
    double le[HISTO_MAX_BUCKETS];       /* upper bounds, ascending */
    uint64_t count[HISTO_MAX_BUCKETS];  /* observations <= le[i] and > le[i-1] */
    uint64_t total;                     /* every observation, +Inf included */
    double sum;
} histogram_t;

/* Buckets start, start*factor, ... (n of them, at most HISTO_MAX_BUCKETS):
 * what etcd does for its latency histograms (e.g. 0.001 x 2^k for fsyncs). */
void histo_init_exp(histogram_t *h, double start, double factor, int n);
/* Buckets with the given upper bounds (ascending; at most HISTO_MAX_BUCKETS
 * are kept): for round 1-2.5-5 steps, as Prometheus's default buckets. */
void histo_init_bounds(histogram_t *h, const double *le, int n);
/* Forgets every observation; the buckets stay. */
void histo_reset(histogram_t *h);
void histo_observe(histogram_t *h, double v);
/* Observations <= le[i] (the cumulative count Prometheus expects). */
uint64_t histo_cumulative(const histogram_t *h, int i);

#endif
