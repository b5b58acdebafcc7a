#include "util/histogram.h"

#include <string.h>

/* Exponential steps suit durations spread over decades (log writes). */
void histo_init_exp(histogram_t *h, double start, double factor, int n)
{
    memset(h, 0, sizeof(*h));
    if (n > HISTO_MAX_BUCKETS) n = HISTO_MAX_BUCKETS;
    double b = start;
    for (int i = 0; i < n; i++, b *= factor) h->le[i] = b;
    h->n = n;
}

/* Bounds that read well in dashboards (0.001, 0.0025, 0.005...) need a list:
 * multiplying out a factor gives 0.000625 and the like. */
void histo_init_bounds(histogram_t *h, const double *le, int n)
{
    memset(h, 0, sizeof(*h));
    if (n > HISTO_MAX_BUCKETS) n = HISTO_MAX_BUCKETS;
    for (int i = 0; i < n; i++) h->le[i] = le[i];
    h->n = n;
}

/* CONFIG RESETSTAT zeroes statistics but must keep the bucket layout. */
void histo_reset(histogram_t *h)
{
    memset(h->count, 0, sizeof(h->count));
    h->total = 0;
    h->sum = 0;
}

/* Buckets are few (at most 24): a linear scan costs less than the branch
 * mispredictions of a binary search would save. */
void histo_observe(histogram_t *h, double v)
{
    for (int i = 0; i < h->n; i++)
        if (v <= h->le[i]) {
            h->count[i]++;
            break;
        }
    h->total++;
    h->sum += v;
}

/* Buckets hold their own counts (one increment per observation); the
 * exporter wants them summed, which it asks for rarely. */
uint64_t histo_cumulative(const histogram_t *h, int i)
{
    uint64_t c = 0;
    for (int k = 0; k <= i && k < h->n; k++) c += h->count[k];
    return c;
}
