// Functions for the OpenSSL function-like macros that Swift cannot import.
// Each wrapper is one macro expansion; ownership follows the macro it wraps.
#ifndef EXTC_OPENSSL_SHIM_H
#define EXTC_OPENSSL_SHIM_H

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/// BIO_get_mem_data: points *data at the memory BIO's bytes (still owned by the BIO); returns the length.
long extc_bio_mem_data(BIO *bio, const char **data);

/// OPENSSL_free.
void extc_openssl_free(void *ptr);

/// X509V3_set_ctx_nodb.
void extc_x509v3_set_ctx_nodb(X509V3_CTX *ctx);

/// sk_GENERAL_NAME_num.
int extc_general_names_count(const GENERAL_NAMES *names);

/// The i-th name if it is a dNSName: its bytes (owned by `names`) and length; otherwise NULL.
const unsigned char *extc_general_name_dns(const GENERAL_NAMES *names, int i, int *length);

/// The i-th name if it is an iPAddress: its 4 or 16 bytes (owned by `names`) and length; otherwise NULL.
const unsigned char *extc_general_name_ip(const GENERAL_NAMES *names, int i, int *length);

/// ERR_GET_REASON.
int extc_err_get_reason(unsigned long code);

#endif
