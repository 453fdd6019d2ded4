/*
 * fuzz.h - shared by the fuzz targets tests/fuzz/fuzz_*.c.
 *
 * Each target defines LLVMFuzzerTestOneInput. Built with clang's
 * -fsanitize=fuzzer it is a libFuzzer binary (make fuzz); built with the
 * plain compiler and replay.c it is a replayer that runs the committed
 * corpus and regressions once each (tests/fuzz.bats, under make check).
 *
 * A target feeds the bytes to one decoder of libcommon the way the commands
 * do, and checks the decoder's contract on what comes out: lengths within
 * their caps, pointers inside the input, errors with the documented code and
 * message form. A broken contract aborts, which both drivers report.
 */
#ifndef CS_FUZZ_H
#define CS_FUZZ_H

#include "exit.h"
#include "reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                                     \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);           \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

/* Reads every byte of a region, so that AddressSanitizer (or valgrind)
 * sees a pointer the decoder handed out that is not valid. */
static inline unsigned
fuzz_touch(const uint8_t *p, size_t len)
{
	volatile unsigned sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return sum;
}

/* The input as a file the reader can open by name, as cs-put opens its
 * arguments: an anonymous memory file, /proc/self/fd/N. Returns the fd. */
static inline int
fuzz_file(const uint8_t *data, size_t size, char path[64])
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t done = 0;

	FUZZ_CHECK(fd >= 0);
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		FUZZ_CHECK(n > 0);
		done += (size_t)n;
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

/* A reader error is bad input (65) that names the item and byte, or, for
 * an oversized item, the same; anything else is a broken contract. */
static inline void
fuzz_check_error(const struct cs_error *err, uint64_t items, size_t size)
{
	unsigned long long item, byte;

	FUZZ_CHECK(err->code == CS_EX_DATAERR);
	FUZZ_CHECK(sscanf(err->message, "item %llu at byte %llu: ", &item, &byte) == 2);
	FUZZ_CHECK(item == items + 1);
	FUZZ_CHECK(byte <= size);
	FUZZ_CHECK(strlen(err->message) > strlen("item 1 at byte 0: "));
}

/* Every record of data in format, through cs_reader_next as cs-put reads
 * them; returns how many were read. */
static inline uint64_t
fuzz_records(const uint8_t *data, size_t size, enum cs_format format, const uint8_t magic[4])
{
	struct cs_reader r;
	struct cs_record rec;
	struct cs_error err;
	uint64_t n = 0, last_offset = 0;
	char path[64];
	int fd = fuzz_file(data, size, path);

	cs_error_clear(&err);
	FUZZ_CHECK(cs_reader_open(&r, path, format, magic, &err) == 0);
	for (;;) {
		enum cs_read st = cs_reader_next(&r, &rec, true, &err);

		if (st == CS_READ_END)
			break;
		if (st == CS_READ_ERROR) {
			fuzz_check_error(&err, n, size);
			break;
		}
		FUZZ_CHECK(st == CS_READ_RECORD);
		n++;
		FUZZ_CHECK(rec.item == n);
		FUZZ_CHECK(rec.offset < size);
		FUZZ_CHECK(n == 1 || rec.offset > last_offset);
		last_offset = rec.offset;
		FUZZ_CHECK(rec.header_len <= CS_OPAQUE_HEADER_MAX);
		FUZZ_CHECK(rec.body_len <= CS_BODY_MAX);
		FUZZ_CHECK(rec.has_header || rec.header_len == 0);
		FUZZ_CHECK(rec.has_body || rec.body_len == 0);
		if (rec.has_header)
			fuzz_touch(rec.header, rec.header_len);
		if (rec.has_body)
			fuzz_touch(rec.body, rec.body_len);
	}
	cs_reader_close(&r);
	close(fd);
	return n;
}

#endif
