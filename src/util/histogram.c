#include "util/histogram.h"

#include <string.h>

void histo_init_exp(histogram_t *h, double start, double factor, int n)
{
    memset(h, 0, sizeof(*h));
    if (n > HISTO_MAX_BUCKETS) n = HISTO_MAX_BUCKETS;
    double b = start;
    for (int i = 0; i < n; i++, b *= factor) h->le[i] = b;
    h->n = n;
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

uint64_t histo_cumulative(const histogram_t *h, int i)
{
    uint64_t c = 0;
    for (int k = 0; k <= i && k < h->n; k++) c += h->count[k];
    return c;
}
