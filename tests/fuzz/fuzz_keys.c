/*
 * fuzz_keys - keys and locators as cs-get - and cs-locator --headers read
 * them: a CBOR sequence of hashes, heights, entries and locator arrays, or
 * text lines of hashes, heights and JSON locators (told apart by the first
 * byte).
 */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_reader r;
	struct cs_key key;
	struct cs_error err;
	uint64_t n = 0;
	char path[64];
	int fd = fuzz_file(data, size, path);

	cs_error_clear(&err);
	FUZZ_CHECK(cs_reader_open(&r, path, CS_FORMAT_CBOR, NULL, &err) == 0);
	for (;;) {
		enum cs_read st = cs_reader_next_key(&r, &key, true, &err);

		if (st == CS_READ_END)
			break;
		if (st == CS_READ_ERROR) {
			fuzz_check_error(&err, n, size);
			break;
		}
		FUZZ_CHECK(st == CS_READ_RECORD);
		n++;
		FUZZ_CHECK(key.item == n);
		FUZZ_CHECK(key.offset < size);
		switch (key.kind) {
		case CS_KEY_LOCATOR:
			FUZZ_CHECK(key.count <= 101);
			FUZZ_CHECK(key.count == 0 || key.hashes != NULL);
			if (key.count > 0)
				fuzz_touch(key.hashes[0], 32 * key.count);
			break;
		case CS_KEY_HEIGHT:
			FUZZ_CHECK(key.height <= UINT32_MAX);
			break;
		case CS_KEY_HASH:
			break;
		}
	}
	cs_reader_close(&r);
	close(fd);
	return 0;
}
