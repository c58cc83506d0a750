#include "archivecheck.h"

#include "errors.h"

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace pgcn {

namespace {

[[noreturn]] void damaged(const std::string &why)
{
    throw FileFormatError("the model archive is damaged (" + why + ")");
}

/** Little-endian fields of the archive, bounds-checked. */
struct Reader
{
    const unsigned char *data;
    std::uint64_t size;
    bool has(std::uint64_t at, std::uint64_t n) const { return at <= size && n <= size - at; }
    std::uint64_t le(std::uint64_t at, int bytes) const
    {
        if (!has(at, std::uint64_t(bytes)))
            damaged("a record runs past the end of the file");
        std::uint64_t v = 0;
        for (int i = bytes - 1; i >= 0; --i)
            v = v << 8 | data[at + std::uint64_t(i)];
        return v;
    }
    bool signature(std::uint64_t at, std::uint32_t sig) const { return has(at, 4) && le(at, 4) == sig; }
};

constexpr std::uint32_t kEndOfDirectory = 0x06054b50, kZip64Locator = 0x07064b50, kZip64End = 0x06064b50,
                        kDirectoryEntry = 0x02014b50, kLocalHeader = 0x04034b50;
constexpr std::uint64_t kMaxInflated = 64ull << 20; // LibTorch deflates only its small code files
constexpr std::uint64_t kDeflateRatio = 1032;        // deflate cannot expand data more than this

/**
 * Walks a pickle's opcodes (protocols 0-5) without running them: each length-prefixed argument
 * must fit in what is left, and an unknown opcode ends the check (LibTorch would refuse it too).
 */
void checkPickle(const unsigned char *p, std::uint64_t n, const std::string &name)
{
    std::uint64_t i = 0;
    auto need = [&](std::uint64_t bytes) {
        if (bytes > n - i)
            damaged("pickle '" + name + "' is cut short");
    };
    auto field = [&](int bytes) {
        need(std::uint64_t(bytes));
        std::uint64_t v = 0;
        for (int k = bytes - 1; k >= 0; --k)
            v = v << 8 | p[i + std::uint64_t(k)];
        i += std::uint64_t(bytes);
        return v;
    };
    auto line = [&] {
        const void *nl = std::memchr(p + i, '\n', size_t(n - i));
        if (!nl)
            damaged("pickle '" + name + "' is cut short");
        i = std::uint64_t(static_cast<const unsigned char *>(nl) - p) + 1;
    };
    while (i < n) {
        const unsigned char op = p[i++];
        switch (op) {
        case '.': // STOP
            return;
        case '(': case '0': case '1': case '2': case 'N': case 'Q': case 'R': case 'a': case 'b': case 'd':
        case '}': case 'e': case 'l': case ']': case 'o': case 's': case 't': case ')': case 'u': case 0x81:
        case 0x85: case 0x86: case 0x87: case 0x88: case 0x89: case 0x8f: case 0x90: case 0x91: case 0x92:
        case 0x93: case 0x94: case 0x97: case 0x98:
            break; // no argument
        case 'K': case 'h': case 'q': case 0x80: case 0x82: field(1); break;
        case 'M': case 0x83: field(2); break;
        case 'J': case 'j': case 0x84: field(4); break;
        case 'r': // LONG_BINPUT: memo slots are numbered from 0, one per opcode at most (LibTorch sizes its memo by this)
            if (field(4) > n)
                damaged("pickle '" + name + "' has an impossible memo index");
            break;
        case 'G': case 0x95: field(8); break; // BINFLOAT, FRAME
        case 'F': case 'I': case 'L': case 'P': case 'S': case 'V': case 'g': line(); break;
        case 'p': { // PUT: a decimal memo index on its line
            const std::uint64_t from = i;
            line();
            if (i - from > 12 || std::strtoull(std::string(reinterpret_cast<const char *>(p + from), size_t(i - from)).c_str(), nullptr, 10) > n)
                damaged("pickle '" + name + "' has an impossible memo index");
            break;
        }
        case 'c': case 'i': line(); line(); break; // GLOBAL, INST: module and name lines
        case 'U': case 'C': case 0x8a: case 0x8c: {
            const std::uint64_t len = field(1);
            need(len);
            i += len;
            break;
        }
        case 'T': case 'X': case 'B': case 0x8b: {
            const std::uint64_t len = field(4);
            need(len);
            i += len;
            break;
        }
        case 0x8d: case 0x8e: case 0x96: {
            const std::uint64_t len = field(8);
            need(len);
            i += len;
            break;
        }
        default:
            damaged("pickle '" + name + "' has an unknown opcode");
        }
    }
    damaged("pickle '" + name + "' has no end");
}

} // namespace

void checkModelArchive(const char *bytes, size_t size)
{
    const Reader r{reinterpret_cast<const unsigned char *>(bytes), size};
    if (size < 22)
        damaged("too short to be an archive");
    // The end-of-directory record: within the last 64 KiB (its comment may be that long).
    std::uint64_t end = size - 22;
    const std::uint64_t stop = size > 22 + 65535 ? size - 22 - 65535 : 0;
    while (!r.signature(end, kEndOfDirectory)) {
        if (end == stop)
            damaged("no zip directory");
        --end;
    }
    std::uint64_t entries = r.le(end + 10, 2), dirSize = r.le(end + 12, 4), dirOffset = r.le(end + 16, 4);
    std::uint64_t dirLimit = end;
    if (entries == 0xFFFF || dirSize == 0xFFFFFFFF || dirOffset == 0xFFFFFFFF) {
        if (end < 20 || !r.signature(end - 20, kZip64Locator))
            damaged("zip64 records missing");
        const std::uint64_t at = r.le(end - 20 + 8, 8);
        if (at >= end - 20 || !r.signature(at, kZip64End))
            damaged("zip64 records missing");
        entries = r.le(at + 32, 8);
        dirSize = r.le(at + 40, 8);
        dirOffset = r.le(at + 48, 8);
        dirLimit = at;
    }
    if (dirOffset > dirLimit || dirSize > dirLimit - dirOffset || entries > dirSize / 46)
        damaged("zip directory out of bounds");

    // What LibTorch's reader checks in its constructor, which leaks its zip state when it throws:
    // a first entry inside a folder, and that folder's version record, a number from 1 to 10.
    if (entries == 0)
        damaged("empty archive");
    std::string folder;
    // LibTorch reads FOLDER/.data/version when there is one, else FOLDER/version; -1 absent, 0 bad, 1 good.
    int dataVersion = -1, plainVersion = -1;
    std::uint64_t at = dirOffset;
    for (std::uint64_t e = 0; e < entries; ++e) {
        if (!r.signature(at, kDirectoryEntry) || at + 46 > dirOffset + dirSize)
            damaged("bad zip directory entry");
        const std::uint64_t method = r.le(at + 10, 2), nameLen = r.le(at + 28, 2), extraLen = r.le(at + 30, 2),
                            commentLen = r.le(at + 32, 2);
        std::uint64_t packed = r.le(at + 20, 4), unpacked = r.le(at + 24, 4), local = r.le(at + 42, 4);
        if (!r.has(at + 46, nameLen + extraLen + commentLen))
            damaged("bad zip directory entry");
        const std::string name(bytes + at + 46, size_t(nameLen));
        // zip64: the sizes and offset that do not fit 32 bits follow in extra field 0x0001, in this order.
        for (std::uint64_t x = at + 46 + nameLen; x + 4 <= at + 46 + nameLen + extraLen;) {
            const std::uint64_t id = r.le(x, 2), len = r.le(x + 2, 2);
            std::uint64_t f = x + 4;
            if (id == 1) {
                for (std::uint64_t *v : {&unpacked, &packed, &local})
                    if (*v == 0xFFFFFFFF && f + 8 <= x + 4 + len) {
                        *v = r.le(f, 8);
                        f += 8;
                    }
            }
            x += 4 + len;
        }
        if (local > dirOffset || !r.signature(local, kLocalHeader))
            damaged("entry '" + name + "' has no local header");
        const std::uint64_t start = local + 30 + r.le(local + 26, 2) + r.le(local + 28, 2);
        if (start > dirOffset || packed > dirOffset - start)
            damaged("entry '" + name + "' runs past its data");
        if (method == 0 && unpacked != packed)
            damaged("entry '" + name + "' has inconsistent sizes");
        if (method == 8 && (unpacked > kMaxInflated || unpacked > packed * kDeflateRatio + 1024))
            damaged("entry '" + name + "' claims " + std::to_string(unpacked) + " bytes");
        if (method != 0 && method != 8)
            damaged("entry '" + name + "' uses an unknown compression");
        if (e == 0) {
            const size_t slash = name.find('/');
            if (slash == std::string::npos)
                damaged("entries outside a folder");
            folder = name.substr(0, slash + 1);
        }
        if (name == folder + "version" || name == folder + ".data/version") {
            std::uint64_t version = 0;
            for (std::uint64_t k = 0; method == 0 && k < packed && k < 8 && std::isdigit(r.data[start + k]); ++k)
                version = version * 10 + (r.data[start + k] - '0');
            int &seen = name == folder + "version" ? plainVersion : dataVersion;
            seen = (seen != 0 && version >= 1 && version <= 10) ? 1 : 0; // a duplicate must be good too
        }
        if (name.size() >= 3 && name.compare(name.size() - 3, 3, "pkl") == 0) {
            if (method != 0)
                damaged("pickle '" + name + "' is compressed");
            checkPickle(r.data + start, packed, name);
        }
        at += 46 + nameLen + extraLen + commentLen;
    }
    if ((dataVersion >= 0 ? dataVersion : plainVersion) != 1)
        damaged("no valid version record");
}

} // namespace pgcn
