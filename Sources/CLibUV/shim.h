#ifndef FLAGON_CLIBUV_SHIM_H
#define FLAGON_CLIBUV_SHIM_H
#include <uv.h>
#endif
