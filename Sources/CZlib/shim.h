#ifndef FLAGON_CZLIB_SHIM_H
#define FLAGON_CZLIB_SHIM_H
#include <zlib.h>

/* deflateInit2 and inflateInit2 are macros: these wrap them for Swift. */
static inline int flagon_deflate_init(z_streamp stream, int level, int windowBits, int memLevel) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY);
}

static inline int flagon_inflate_init(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
#endif
