/*
 * test_utf8.c - unit tests of cs_utf8_sanitize: what is well-formed UTF-8
 * (RFC 3629 section 4, and the "UTF-8 decoder capability and stress test"
 * cases of Markus Kuhn for overlong forms and surrogates) is kept; each
 * other byte becomes U+FFFD. Prints TAP; exits 1 if any test fails.
 */
#include "utf8.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

#define FFFD "\xef\xbf\xbd"

static bool
sanitized(const char *in, const char *want)
{
	char out[64];
	size_t len = cs_utf8_sanitize(in, out, sizeof(out));

	if (len != strlen(want) || strcmp(out, want) != 0) {
		printf("# got  '%s' (%zu)\n# want '%s'\n", out, len, want);
		return false;
	}
	return true;
}

int
main(void)
{
	char small[5];

	check(sanitized("", ""), "empty");
	check(sanitized("/var/lib/chainstore", "/var/lib/chainstore"), "ASCII kept");
	check(sanitized("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
	    "2, 3 and 4-byte sequences kept");
	check(sanitized("a\xff" "b", "a" FFFD "b"), "0xff replaced");
	check(sanitized("\xc3", FFFD), "a lead byte at the end");
	check(sanitized("\x80\xbf", FFFD FFFD), "lone continuation bytes, one each");
	check(sanitized("\xc0\xaf", FFFD FFFD), "overlong '/' (c0 af)");
	check(sanitized("\xe0\x80\xaf", FFFD FFFD FFFD), "overlong '/' (e0 80 af)");
	check(sanitized("\xed\xa0\x80", FFFD FFFD FFFD), "a UTF-16 surrogate (U+D800)");
	check(sanitized("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD), "above U+10FFFF");
	check(sanitized("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"), "U+10FFFF kept");
	check(sanitized("\xe2\x82", FFFD FFFD), "a 3-byte sequence cut short");
	check(cs_utf8_sanitize("ab\xff", small, sizeof(small)) == 5 && strcmp(small, "ab") == 0,
	    "too little room: the length needed, a NUL-terminated prefix without a cut character");
	printf("1..%u\n", tests_run);
	if (fflush(stdout) != 0 || ferror(stdout))
		return 1;
	return tests_failed == 0 ? 0 : 1;
}
