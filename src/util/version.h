/* The one place the version is written down. */
#ifndef REDRAFT_UTIL_VERSION_H
#define REDRAFT_UTIL_VERSION_H

#define REDRAFT_VERSION "0.1.0"

#endif
