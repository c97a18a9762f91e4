#include "extc_openssl_shim.h"

long extc_bio_mem_data(BIO *bio, const char **data) {
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);
    *data = p;
    return n;
}

void extc_openssl_free(void *ptr) { OPENSSL_free(ptr); }

void extc_x509v3_set_ctx_nodb(X509V3_CTX *ctx) { X509V3_set_ctx_nodb(ctx); }

int extc_general_names_count(const GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }

const unsigned char *extc_general_name_dns(const GENERAL_NAMES *names, int i, int *length) {
    const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
    if (name == NULL || name->type != GEN_DNS) return NULL;
    *length = ASN1_STRING_length(name->d.dNSName);
    return ASN1_STRING_get0_data(name->d.dNSName);
}

const unsigned char *extc_general_name_ip(const GENERAL_NAMES *names, int i, int *length) {
    const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
    if (name == NULL || name->type != GEN_IPADD) return NULL;
    *length = ASN1_STRING_length(name->d.iPAddress);
    return ASN1_STRING_get0_data(name->d.iPAddress);
}

int extc_err_get_reason(unsigned long code) { return ERR_GET_REASON(code); }
