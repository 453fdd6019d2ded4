/*
 * fuzz_hex - hex lines of headers and blocks (cs-put -f hex), through the reader.
 */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_records(data, size, CS_FORMAT_HEX, NULL);
	return 0;
}
