/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Run by tests/check-openssl.sh: load the qatrt provider from directory
 * argv[1], digest, load and unload it in a second library context, fork;
 * the child digests too (the provider claims the
 * child's own section on that first use), prints "child ready PID", waits
 * for EOF on stdin, digests once more. Every digest is checked. Exit 0
 * when parent and child both got the right digests.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/provider.h>

/* SHA-256("abc"), FIPS 180-2 appendix B.1. */
static const unsigned char abc_sha256[32] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
	0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
	0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
};

static int digest_ok(const EVP_MD *md)
{
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	return EVP_Digest("abc", 3, out, &len, md, NULL) && len == 32 &&
	       !memcmp(out, abc_sha256, 32);
}

int main(int argc, char **argv)
{
	OSSL_PROVIDER *prov, *prov2;
	OSSL_LIB_CTX *other;
	EVP_MD *md;
	char buf[64];
	int status, ok;
	pid_t pid;

	if (argc != 2 || !OSSL_PROVIDER_set_default_search_path(NULL, argv[1]))
		return 2;
	prov = OSSL_PROVIDER_load(NULL, "qatrt");
	md = prov ? EVP_MD_fetch(NULL, "SHA256", "provider=qatrt") : NULL;
	if (!md || !digest_ok(md)) {
		fprintf(stderr, "fork_digest: no qatrt SHA-256 in the parent\n");
		return 1;
	}
	/* The provider in a second library context, then out of it again:
	 * the first context's claim stays (the script checks the parent's). */
	other = OSSL_LIB_CTX_new();
	if (!other || !OSSL_PROVIDER_set_default_search_path(other, argv[1]) ||
	    !(prov2 = OSSL_PROVIDER_load(other, "qatrt"))) {
		fprintf(stderr, "fork_digest: no qatrt in a second context\n");
		return 1;
	}
	OSSL_PROVIDER_unload(prov2);
	OSSL_LIB_CTX_free(other);
	if (!digest_ok(md))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		ok = digest_ok(md);
		printf("child ready %d\n", (int)getpid());
		fflush(stdout);
		while (read(0, buf, sizeof(buf)) > 0)
			;
		ok = ok && digest_ok(md);
		_exit(ok ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "fork_digest: the child failed\n");
		return 1;
	}
	ok = digest_ok(md);
	EVP_MD_free(md);
	OSSL_PROVIDER_unload(prov);
	return ok ? 0 : 1;
}
