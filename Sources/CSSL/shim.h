#ifndef FLAGON_CSSL_SHIM_H
#define FLAGON_CSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/bio.h>
#include <openssl/x509v3.h>

// OpenSSL's function-like macros, as functions Swift can call.

static inline int flagon_ssl_ctx_set_versions(SSL_CTX *ctx, int min, int max) {
    if (SSL_CTX_set_min_proto_version(ctx, min) != 1) return 0;
    return SSL_CTX_set_max_proto_version(ctx, max);
}

static inline int flagon_ssl_set_server_name(SSL *ssl, const char *name) { return SSL_set_tlsext_host_name(ssl, name); }

static inline int flagon_ssl_ctx_set_servername_callback(SSL_CTX *ctx, int (*callback)(SSL *, int *, void *), void *arg) {
    if (SSL_CTX_set_tlsext_servername_callback(ctx, callback) != 1) return 0;
    return (int)SSL_CTX_set_tlsext_servername_arg(ctx, arg);
}

static inline long flagon_bio_pending(BIO *bio) { return (long)BIO_ctrl_pending(bio); }

static inline int flagon_bio_set_eof_return(BIO *bio, int value) { return (int)BIO_set_mem_eof_return(bio, value); }

// Modern defaults: no renegotiation, no compression, the server's cipher order; buffers
// released while a connection is idle (many idle connections are the common case).
static inline void flagon_ssl_ctx_harden(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
}

static inline long flagon_bio_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }

static inline int flagon_bio_reset(BIO *bio) { return (int)BIO_reset(bio); }

static inline const char *flagon_ssl_servername(const SSL *ssl) { return SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name); }

#endif
