#pragma once

#include <functional>
#include <string>
#include <vector>

namespace pgcn {

/**
 * Atomic save: `writer` fills a temporary file beside `path`; it is flushed
 * to disk and renamed over `path`. On any failure the temporary file is
 * removed, `path` is untouched and Error is thrown with the reason.
 */
void atomicWrite(const std::string &path, const std::function<void(const std::string &tmpPath)> &writer);

/**
 * The whole of a regular file. `what` names it in messages ("model", "image");
 * a file above `maxBytes` (0: no limit) is refused before it is read. A file
 * that shrinks while being read returns what was there. Throws Error.
 */
std::string readWholeFile(const std::string &path, const std::string &what, long long maxBytes = 0);

/** atomicWrite of a byte buffer. */
void writeFileAtomic(const std::string &path, const void *data, size_t size);
void writeFileAtomic(const std::string &path, const std::vector<unsigned char> &bytes);

} // namespace pgcn
