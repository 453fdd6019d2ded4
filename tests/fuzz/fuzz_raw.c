/*
 * fuzz_raw - concatenated raw 80-byte headers (cs-put -f raw), through the reader.
 */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_records(data, size, CS_FORMAT_RAW, NULL);
	return 0;
}
