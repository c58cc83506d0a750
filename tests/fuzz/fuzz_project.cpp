// libFuzzer target: bytes -> the studio's project loader (QDataStream, PNG images, training log, gallery).
#include "project.h"

#include <QString>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    pgcn::ui::Project p;
    QString error;
    const bool ok = p.deserialize(QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size)), &error);
    if (!ok && error.isEmpty()) // a failure always says why
        std::abort();
    if (!ok && (!p.source.isNull() || !p.model.isEmpty())) // and leaves the project untouched
        std::abort();
    return 0;
}
