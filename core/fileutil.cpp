#include "fileutil.h"

#include "errors.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pgcn {

void atomicWrite(const std::string &path, const std::function<void(const std::string &)> &writer)
{
    static std::atomic<int> counter{0};
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    {
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            throw Error("cannot write '" + path + "': " + std::strerror(errno));
        ::close(fd);
    }
    try {
        writer(tmp);
        const int fd = ::open(tmp.c_str(), O_RDONLY);
        if (fd < 0 || ::fsync(fd) != 0) {
            const int err = errno;
            if (fd >= 0)
                ::close(fd);
            throw Error("cannot write '" + path + "': " + std::strerror(err));
        }
        ::close(fd);
        if (std::rename(tmp.c_str(), path.c_str()) != 0)
            throw Error("cannot replace '" + path + "': " + std::strerror(errno));
    } catch (const Error &) {
        std::remove(tmp.c_str());
        throw;
    } catch (const std::exception &e) {
        std::remove(tmp.c_str());
        throw Error("cannot write '" + path + "' (disk full or not writable?): " + std::string(e.what()).substr(0, 200));
    }
}

void writeFileAtomic(const std::string &path, const void *data, size_t size)
{
    atomicWrite(path, [&](const std::string &tmp) {
        std::FILE *f = std::fopen(tmp.c_str(), "wb");
        if (!f)
            throw Error("cannot write '" + path + "': " + std::strerror(errno));
        const size_t n = size == 0 ? 0 : std::fwrite(data, 1, size, f);
        const bool ok = n == size && std::fflush(f) == 0;
        int err = ok ? 0 : errno;
        if (std::fclose(f) != 0 && err == 0)
            err = errno ? errno : EIO;
        if (!ok || err != 0)
            throw Error("cannot write '" + path + "': " + std::strerror(err ? err : EIO));
    });
}

void writeFileAtomic(const std::string &path, const std::vector<unsigned char> &bytes)
{
    writeFileAtomic(path, bytes.data(), bytes.size());
}

std::string readWholeFile(const std::string &path, const std::string &what, long long maxBytes)
{
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0)
        throw Error("cannot open " + what + " '" + path + "': " + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        throw Error("'" + path + "' is not a regular file");
    if (maxBytes > 0 && st.st_size > maxBytes) // before reading it
        throw Error(what + " '" + path + "' is " + std::to_string(st.st_size >> 20) + " MiB; files above " +
                    std::to_string(maxBytes >> 20) + " MiB are refused");
    std::string bytes(size_t(st.st_size), '\0');
    std::FILE *f = std::fopen(path.c_str(), "rb");
    if (!f)
        throw Error("cannot open " + what + " '" + path + "': " + std::strerror(errno));
    const size_t n = std::fread(bytes.data(), 1, bytes.size(), f);
    const int err = std::ferror(f) ? errno : 0;
    std::fclose(f);
    if (err)
        throw Error("cannot read " + what + " '" + path + "': " + std::strerror(err));
    bytes.resize(n);
    return bytes;
}

} // namespace pgcn
