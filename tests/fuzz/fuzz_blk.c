/*
 * fuzz_blk - Bitcoin Core's blk*.dat framing (cs-put -f blk): magic,
 * length, block; zero padding between blocks. Read once with mainnet's
 * magic, and once with none (a custom chain's store accepts any).
 */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mainnet[4] = { 0xf9, 0xbe, 0xb4, 0xd9 };
	static const uint8_t none[4] = { 0, 0, 0, 0 };
	uint64_t strict = fuzz_records(data, size, CS_FORMAT_BLK, mainnet);

	FUZZ_CHECK(fuzz_records(data, size, CS_FORMAT_BLK, none) >= strict);
	return 0;
}
