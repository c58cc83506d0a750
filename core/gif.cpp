#include "gif.h"

#include "errors.h"

#include <algorithm>
#include <unordered_map>

namespace pgcn {

namespace {

constexpr int kR = 6, kG = 7, kB = 6; // 252 palette entries

std::uint8_t paletteIndex(const std::uint8_t *p, int x, int y)
{
    static const int bayer[4][4] = {{0, 8, 2, 10}, {12, 4, 14, 6}, {3, 11, 1, 9}, {15, 7, 13, 5}};
    const double d = (bayer[y & 3][x & 3] + 0.5) / 16.0 - 0.5;
    auto q = [d](int v, int levels) {
        const double s = v / 255.0 * (levels - 1) + d;
        return std::clamp(int(s + 0.5), 0, levels - 1);
    };
    return std::uint8_t((q(p[0], kR) * kG + q(p[1], kG)) * kB + q(p[2], kB));
}

/** GIF's variable-width LZW over 8-bit indices, packed into sub-blocks. */
class LzwWriter
{
public:
    explicit LzwWriter(std::vector<std::uint8_t> &out) : m_out(out) {}

    void encode(const std::vector<std::uint8_t> &indices)
    {
        const int minCode = 8;
        const int clear = 1 << minCode, end = clear + 1;
        m_out.push_back(std::uint8_t(minCode));
        std::unordered_map<std::uint32_t, int> dict;
        int width = minCode + 1, next = end + 1;
        auto reset = [&] {
            dict.clear();
            width = minCode + 1;
            next = end + 1;
        };
        put(clear, width);
        int prefix = -1;
        for (std::uint8_t c : indices) {
            if (prefix < 0) {
                prefix = c;
                continue;
            }
            const std::uint32_t key = (std::uint32_t(prefix) << 8) | c;
            const auto it = dict.find(key);
            if (it != dict.end()) {
                prefix = it->second;
                continue;
            }
            put(prefix, width);
            if (next < 4096) {
                dict[key] = next++;
                if (next > (1 << width) && width < 12)
                    ++width;
            } else {
                put(clear, width);
                reset();
            }
            prefix = c;
        }
        if (prefix >= 0)
            put(prefix, width);
        put(end, width);
        flushBits();
        flushBlock();
        m_out.push_back(0); // block terminator
    }

private:
    void put(int code, int width)
    {
        m_acc |= std::uint32_t(code) << m_bits;
        m_bits += width;
        while (m_bits >= 8) {
            byte(std::uint8_t(m_acc & 0xff));
            m_acc >>= 8;
            m_bits -= 8;
        }
    }
    void flushBits()
    {
        if (m_bits > 0)
            byte(std::uint8_t(m_acc & 0xff));
        m_acc = 0;
        m_bits = 0;
    }
    void byte(std::uint8_t b)
    {
        m_block.push_back(b);
        if (m_block.size() == 255)
            flushBlock();
    }
    void flushBlock()
    {
        if (m_block.empty())
            return;
        m_out.push_back(std::uint8_t(m_block.size()));
        m_out.insert(m_out.end(), m_block.begin(), m_block.end());
        m_block.clear();
    }

    std::vector<std::uint8_t> &m_out;
    std::vector<std::uint8_t> m_block;
    std::uint32_t m_acc = 0;
    int m_bits = 0;
};

void u16(std::vector<std::uint8_t> &o, int v)
{
    o.push_back(std::uint8_t(v & 0xff));
    o.push_back(std::uint8_t((v >> 8) & 0xff));
}

} // namespace

std::vector<std::uint8_t> encodeGif(const std::vector<RgbImage> &frames, int delay)
{
    if (frames.empty())
        throw InvalidArgument("an animation needs at least one frame");
    const int w = frames[0].width, h = frames[0].height;
    if (w < 1 || h < 1 || w > 65535 || h > 65535)
        throw InvalidArgument("GIF frames must be between 1 and 65535 pixels wide and high");
    std::vector<std::uint8_t> o{'G', 'I', 'F', '8', '9', 'a'};
    u16(o, w);
    u16(o, h);
    o.push_back(0xF7); // global colour table, 8 bits, 256 entries
    o.push_back(0);
    o.push_back(0);
    for (int i = 0; i < 256; ++i) {
        const int r = i / (kG * kB), g = (i / kB) % kG, b = i % kB;
        const bool used = i < kR * kG * kB;
        o.push_back(used ? std::uint8_t(r * 255 / (kR - 1)) : 0);
        o.push_back(used ? std::uint8_t(g * 255 / (kG - 1)) : 0);
        o.push_back(used ? std::uint8_t(b * 255 / (kB - 1)) : 0);
    }
    // NETSCAPE2.0 loop extension
    const std::uint8_t loop[] = {0x21, 0xFF, 0x0B, 'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0', 0x03, 0x01, 0, 0, 0};
    o.insert(o.end(), std::begin(loop), std::end(loop));
    std::vector<std::uint8_t> indices(size_t(w) * h);
    for (const RgbImage &f : frames) {
        if (f.width != w || f.height != h)
            throw InvalidArgument("GIF frames must share one size");
        o.insert(o.end(), {0x21, 0xF9, 0x04, 0x04});
        u16(o, std::clamp(delay, 0, 65535));
        o.insert(o.end(), {0x00, 0x00});
        o.push_back(0x2C);
        u16(o, 0);
        u16(o, 0);
        u16(o, w);
        u16(o, h);
        o.push_back(0);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                indices[size_t(y) * w + x] = paletteIndex(f.pixel(x, y), x, y);
        LzwWriter(o).encode(indices);
    }
    o.push_back(0x3B);
    return o;
}

} // namespace pgcn
