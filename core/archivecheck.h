#pragma once

#include <cstddef>

namespace pgcn {

/**
 * Checks the container of a model file before LibTorch reads it: a zip
 * archive (zip64 records understood) whose entries lie inside the file, are
 * stored or deflated with believable sizes, and whose pickles (stored, as
 * LibTorch writes them) hold only known opcodes with lengths that fit.
 * LibTorch 1.13 allocates whatever a damaged size or pickle length claims
 * (gigabytes from a file of a few kilobytes); this refuses such files first.
 * Throws FileFormatError naming what is wrong.
 */
void checkModelArchive(const char *data, size_t size);

} // namespace pgcn
