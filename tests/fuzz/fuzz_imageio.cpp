// libFuzzer target: bytes -> the image loader (header probe, size limit, OpenCV decoding, conversion to RGB).
#include "errors.h"
#include "imageio.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    pgcn::ImageHeaderSize declared;
    pgcn::probeImageSize(data, size, declared);
    try {
        const pgcn::LoadedImage li = pgcn::decodeImage(data, size, "fuzz");
        // What the loader promises: a non-empty RGB image, alpha (if any) of the same size, within the limit.
        if (li.rgb.isNull() || li.rgb.pixels.size() != size_t(li.rgb.width) * li.rgb.height * 3 ||
            (li.alpha.isNull() ? false : li.alpha.width != li.rgb.width || li.alpha.height != li.rgb.height) ||
            (long long)li.rgb.width * li.rgb.height > pgcn::kMaxImagePixels)
            std::abort();
    } catch (const pgcn::Error &) {
        // refused with a message: fine
    }
    return 0;
}
