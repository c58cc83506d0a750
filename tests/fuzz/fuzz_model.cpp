// libFuzzer target: bytes -> the model loader (LibTorch archive, signature, version, shapes, values, checksum).
#include "errors.h"
#include "model.h"

#include <ATen/Parallel.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    at::set_num_threads(1);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    try {
        const pgcn::PyramidModel m = pgcn::PyramidModel::fromBytes(reinterpret_cast<const char *>(data), size, "fuzz");
        // A model that loads is consistent: one real image per scale, no more nets than scales.
        if (m.numScales() < 1 || m.trainedScales() > m.numScales() || int(m.geometry().scales.size()) != m.numScales())
            std::abort();
    } catch (const pgcn::FileFormatError &) {
        // refused with a message: fine
    }
    return 0;
}
