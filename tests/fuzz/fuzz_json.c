/*
 * fuzz_json - JSON Lines entries (cs-put -f json), through the reader.
 */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_records(data, size, CS_FORMAT_JSON, NULL);
	return 0;
}
