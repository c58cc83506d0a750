#include "winograd.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define PGCN_WINOGRAD_AVX2 1
#include <immintrin.h>
#endif

namespace pgcn {

namespace {

bool cpuRunsKernels()
{
#ifdef PGCN_WINOGRAD_AVX2
    static const bool ok = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }();
    return ok;
#else
    return false;
#endif
}

/**
 * On by default where oneDNN's fp32 convolutions are AVX2 ones (no AVX-512), where they were measured
 * (README, How it works); an AVX-512 CPU keeps oneDNN's (not measured against them).
 * PATCHGENCN_WINOGRAD=0 or 1 chooses either way.
 */
bool defaultOn()
{
    if (!cpuRunsKernels())
        return false;
    if (const char *v = std::getenv("PATCHGENCN_WINOGRAD"); v && *v)
        return std::strcmp(v, "0") != 0;
#ifdef PGCN_WINOGRAD_AVX2
    return __builtin_cpu_supports("avx512f") == 0;
#else
    return false;
#endif
}

std::atomic<bool> g_winograd{defaultOn()};

/**
 * F(4x4, 3x3): each 4x4 block of outputs from a 6x6 input tile, 36 multiplications per channel pair
 * instead of 144 (F(2x2, 3x3), tried first: 16 instead of 36). The points 0, +-1, +-2 and infinity
 * (Lavin and Gray): about 1e-6 from the convolution in double (relative), some five times F(2x2)'s.
 */
constexpr int kTile = 4;
constexpr int kAlpha = kTile + 2;
constexpr int kPositions = kAlpha * kAlpha;
constexpr double kG[kAlpha][3] = {{1.0 / 4, 0, 0},
                                  {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                  {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                  {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                  {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                  {0, 0, 1}};

/** Tiles transformed at once (a multiple of both tile groups below): their transformed planes stay in L2. */
constexpr std::int64_t kChunk = 24;
/** The weight gradient's partial sums: this many groups of chunks at most (winogradWeightGradient). */
constexpr std::int64_t kWeightGroups = 8;

} // namespace

bool winogradSupported()
{
    return cpuRunsKernels();
}

bool winogradAvailable()
{
    return cpuRunsKernels() && g_winograd.load();
}

void setWinograd(bool on)
{
    g_winograd = on;
}

bool winogradFits(std::int64_t inChannels, std::int64_t outChannels)
{
    return winogradAvailable() && inChannels > 0 && outChannels > 0 && inChannels % 8 == 0 && outChannels % 8 == 0;
}

std::int64_t winogradWeightFloats(std::int64_t inChannels, std::int64_t outChannels)
{
    return kPositions * inChannels * outChannels;
}

void winogradWeights(const float *w, std::int64_t outChannels, std::int64_t inChannels, bool backwardData, float *u)
{
    // u[pos][i][o] with i, o the channels of the convolution run: G k G^T per channel pair, in double,
    // for one input channel of that convolution and all its output channels at a time (innermost: vectors).
    const std::int64_t convIn = backwardData ? outChannels : inChannels;
    const std::int64_t convOut = backwardData ? inChannels : outChannels;
    std::vector<double> k(size_t(9 * convOut)), t(size_t(kAlpha * 3 * convOut));
    for (std::int64_t ci = 0; ci < convIn; ++ci) {
        // k[a][b][co]: the kernel of (ci, co), rotated by 180 degrees for the backward.
        for (std::int64_t co = 0; co < convOut; ++co) {
            const std::int64_t o = backwardData ? ci : co, i = backwardData ? co : ci;
            const float *g = w + (o * inChannels + i) * 9;
            for (int a = 0; a < 3; ++a)
                for (int b = 0; b < 3; ++b)
                    k[size_t((a * 3 + b) * convOut + co)] = backwardData ? g[(2 - a) * 3 + (2 - b)] : g[a * 3 + b];
        }
        for (int a = 0; a < kAlpha; ++a)
            for (int b = 0; b < 3; ++b) {
                double *tp = t.data() + (a * 3 + b) * convOut;
                const double *k0 = k.data() + b * convOut, *k1 = k0 + 3 * convOut, *k2 = k1 + 3 * convOut;
                for (std::int64_t co = 0; co < convOut; ++co)
                    tp[co] = kG[a][0] * k0[co] + kG[a][1] * k1[co] + kG[a][2] * k2[co];
            }
        for (int a = 0; a < kAlpha; ++a)
            for (int b = 0; b < kAlpha; ++b) {
                float *up = u + ((a * kAlpha + b) * convIn + ci) * convOut;
                const double *t0 = t.data() + a * 3 * convOut, *t1 = t0 + convOut, *t2 = t1 + convOut;
                for (std::int64_t co = 0; co < convOut; ++co)
                    up[co] = float(t0[co] * kG[b][0] + t1[co] * kG[b][1] + t2[co] * kG[b][2]);
            }
    }
}

#ifdef PGCN_WINOGRAD_AVX2

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

namespace {

/** exp(m) - 1 for m <= 0 (NaN stays NaN), to fp32's accuracy: elu.cpp's AVX-512 form on eight lanes. */
inline __m256 expm1NonPositive(__m256 m)
{
    m = _mm256_max_ps(_mm256_set1_ps(-30.0f), m);
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(m, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), m);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 q = _mm256_set1_ps(1.0f / 5040.0f);
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f / 720.0f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f / 120.0f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f / 24.0f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f / 6.0f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(0.5f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f));
    const __m256 p = _mm256_mul_ps(q, r);
    // 2^n from its exponent bits (n in [-44, 0] after the clamp: a normal number); a NaN's n converts to
    // INT_MIN, whose 2^n is garbage, but p is NaN and so is the result.
    const __m256 t = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
    return _mm256_fmadd_ps(t, p, _mm256_sub_ps(t, _mm256_set1_ps(1.0f)));
}

inline __m256 eluVec(__m256 v)
{
    const __m256 zero = _mm256_setzero_ps();
    const __m256 neg = expm1NonPositive(_mm256_min_ps(zero, v));
    return _mm256_blendv_ps(neg, v, _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
}

inline __m256 eluBackVec(__m256 g, __m256 y)
{
    return _mm256_blendv_ps(_mm256_fmadd_ps(g, y, g), g, _mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_GT_OQ));
}

struct Problem
{
    const float *x, *eluResult, *u, *bias;
    float *y;
    std::int64_t n, h, w, cin, pad, cout, ho, wo, tilesY, tilesX;
    bool elu;
};

/** B^T d for one column (or row) of the tile's six values. */
inline void inputTransform(const __m256 *d, __m256 *t)
{
    static_assert(kTile == 4, "the transforms are F(4x4, 3x3)'s");
    const __m256 two = _mm256_set1_ps(2.0f), four = _mm256_set1_ps(4.0f), five = _mm256_set1_ps(5.0f);
    t[0] = _mm256_fmadd_ps(four, d[0], _mm256_fnmadd_ps(five, d[2], d[4]));                // 4d0 - 5d2 + d4
    t[1] = _mm256_fnmadd_ps(four, _mm256_add_ps(d[1], d[2]), _mm256_add_ps(d[3], d[4])); // -4(d1 + d2) + d3 + d4
    t[2] = _mm256_fmadd_ps(four, _mm256_sub_ps(d[1], d[2]), _mm256_sub_ps(d[4], d[3]));  // 4(d1 - d2) - d3 + d4
    t[3] = _mm256_fmadd_ps(two, _mm256_sub_ps(d[3], d[1]), _mm256_sub_ps(d[4], d[2]));   // 2(d3 - d1) - d2 + d4
    t[4] = _mm256_fmadd_ps(two, _mm256_sub_ps(d[1], d[3]), _mm256_sub_ps(d[4], d[2]));   // 2(d1 - d3) - d2 + d4
    t[5] = _mm256_fmadd_ps(four, d[1], _mm256_fnmadd_ps(five, d[3], d[5]));                // 4d1 - 5d3 + d5
}

/** A^T m for one column (or row) of six values: the four outputs. */
inline void outputTransform(const __m256 *m, __m256 *s)
{
    const __m256 a = _mm256_add_ps(m[1], m[2]), b = _mm256_sub_ps(m[1], m[2]);
    const __m256 c = _mm256_add_ps(m[3], m[4]), d = _mm256_sub_ps(m[3], m[4]);
    s[0] = _mm256_add_ps(_mm256_add_ps(m[0], a), c);                // m0 + m1 + m2 + m3 + m4
    s[1] = _mm256_fmadd_ps(_mm256_set1_ps(2.0f), d, b);             // m1 - m2 + 2(m3 - m4)
    s[2] = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), c, a);             // m1 + m2 + 4(m3 + m4)
    s[3] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8.0f), d, b), m[5]); // m1 - m2 + 8(m3 - m4) + m5
}

/**
 * B^T d B for `tiles` horizontally adjacent tiles from input row iy0 and column ix0 (step kTile):
 * V[pos][t][c]. The first half (B^T down each column) is shared by the tiles a column belongs to,
 * so it is computed once per column, into a ring of the last eight columns (all channels): the input
 * is read once, pixel by pixel. Rows and columns outside the image read as zero (the padding); with
 * `Elu`, each value is the gradient through the ELU whose output is eluResult.
 */
template <bool Elu>
void inputTiles(const Problem &p, std::int64_t b, std::int64_t iy0, std::int64_t ix0, std::int64_t tiles, float *V, float *ring)
{
    const std::int64_t ncols = kTile * tiles + 2, stride = kChunk * p.cin, cin = p.cin;
    const float *rows[kAlpha], *erows[kAlpha];
    for (int i = 0; i < kAlpha; ++i) {
        const std::int64_t yy = iy0 + i;
        const bool in = yy >= 0 && yy < p.h;
        rows[i] = in ? p.x + (b * p.h + yy) * p.w * cin : nullptr;
        erows[i] = in && Elu ? p.eluResult + (b * p.h + yy) * p.w * cin : nullptr;
    }
    const __m256 zero = _mm256_setzero_ps();
    for (std::int64_t k = 0; k < ncols; ++k) {
        const std::int64_t xx = ix0 + k;
        float *col = ring + (k & 7) * kAlpha * cin;
        if (xx < 0 || xx >= p.w) {
            std::fill(col, col + kAlpha * cin, 0.0f);
        } else {
            for (std::int64_t c = 0; c < cin; c += 8) {
                __m256 d[kAlpha], t[kAlpha];
                for (int i = 0; i < kAlpha; ++i) {
                    if (!rows[i]) {
                        d[i] = zero;
                        continue;
                    }
                    d[i] = _mm256_loadu_ps(rows[i] + xx * cin + c);
                    if (Elu)
                        d[i] = eluBackVec(d[i], _mm256_loadu_ps(erows[i] + xx * cin + c));
                }
                inputTransform(d, t);
                for (int i = 0; i < kAlpha; ++i)
                    _mm256_storeu_ps(col + i * cin + c, t[i]);
            }
        }
        if (k < kAlpha - 1 || (k - (kAlpha - 1)) % kTile != 0)
            continue;
        const std::int64_t t = (k - (kAlpha - 1)) / kTile; // its columns k - kAlpha + 1 .. k are in the ring
        const float *cols[kAlpha];
        for (int j = 0; j < kAlpha; ++j)
            cols[j] = ring + ((k - (kAlpha - 1) + j) & 7) * kAlpha * cin;
        for (std::int64_t c = 0; c < cin; c += 8) {
            float *v = V + t * cin + c;
            for (int i = 0; i < kAlpha; ++i) {
                __m256 d[kAlpha], r[kAlpha];
                for (int j = 0; j < kAlpha; ++j)
                    d[j] = _mm256_loadu_ps(cols[j] + i * cin + c);
                inputTransform(d, r);
                for (int j = 0; j < kAlpha; ++j)
                    _mm256_storeu_ps(v + (i * kAlpha + j) * stride, r[j]);
            }
        }
    }
}

/**
 * acc[r][v] += sum over k < K of a[r * aRow + k * aStep] b[k * bStep + 8 v .. + 7]: R broadcast scalars
 * times NV vectors per k, the register block of both kinds of products below.
 */
template <int R, int NV>
inline void fmaPanel(__m256 (&acc)[R][NV], const float *a, std::int64_t aRow, std::int64_t aStep, const float *b,
                     std::int64_t bStep, std::int64_t K)
{
    for (std::int64_t k = 0; k < K; ++k) {
        __m256 bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v)
            bv[v] = _mm256_loadu_ps(b + k * bStep + 8 * v);
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) {
            const __m256 s = _mm256_broadcast_ss(a + r * aRow + k * aStep);
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v)
                acc[r][v] = _mm256_fmadd_ps(s, bv[v], acc[r][v]);
        }
    }
}

/**
 * The kPositions products for the chunk's tiles and NV * 8 output channels from co0, R tiles at a
 * time: m[pos][t][NV * 8] = sum over the input channels of V[pos][t][ci] U[pos][ci][co0 ...].
 * Position by position, so that U's slice stays in L1 over the chunk.
 */
template <int NV, int R>
inline void products(const Problem &p, const float *V, std::int64_t tiles, std::int64_t co0, float *m)
{
    const std::int64_t cin = p.cin, cout = p.cout;
    for (int pos = 0; pos < kPositions; ++pos) {
        const float *up = p.u + std::int64_t(pos) * cin * cout + co0;
        for (std::int64_t t0 = 0; t0 < tiles; t0 += R) {
            __m256 acc[R][NV];
#pragma GCC unroll 16
            for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
                for (int v = 0; v < NV; ++v)
                    acc[r][v] = _mm256_setzero_ps();
            fmaPanel<R, NV>(acc, V + (pos * kChunk + t0) * cin, cin, 1, up, cout, cin);
            float *mp = m + (pos * kChunk + t0) * NV * 8;
#pragma GCC unroll 16
            for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
                for (int v = 0; v < NV; ++v)
                    _mm256_storeu_ps(mp + r * NV * 8 + 8 * v, acc[r][v]);
        }
    }
}

/** A^T m A for the chunk's tiles and `width` output channels from co0, the bias, the ELU, and the stores of the outputs that exist. */
void outputTiles(const Problem &p, const float *m, std::int64_t width, std::int64_t co0, std::int64_t b, std::int64_t ty,
                 std::int64_t tx0, std::int64_t tiles)
{
    const std::int64_t oy = kTile * ty;
    for (std::int64_t t = 0; t < tiles; ++t) {
        const std::int64_t ox = kTile * (tx0 + t);
        for (std::int64_t v = 0; v < width; v += 8) {
            // Down each column first (kAlpha columns of kTile), then along each output row.
            __m256 cols[kAlpha][kTile];
            for (int j = 0; j < kAlpha; ++j) {
                __m256 q[kAlpha];
                for (int i = 0; i < kAlpha; ++i)
                    q[i] = _mm256_loadu_ps(m + ((i * kAlpha + j) * kChunk + t) * width + v);
                outputTransform(q, cols[j]);
            }
            const __m256 bias = p.bias ? _mm256_loadu_ps(p.bias + co0 + v) : _mm256_setzero_ps();
            for (int a = 0; a < kTile && oy + a < p.ho; ++a) {
                __m256 q[kAlpha], out[kTile];
                for (int j = 0; j < kAlpha; ++j)
                    q[j] = cols[j][a];
                outputTransform(q, out);
                for (int c = 0; c < kTile && ox + c < p.wo; ++c) {
                    __m256 o = _mm256_add_ps(out[c], bias);
                    if (p.elu)
                        o = eluVec(o);
                    _mm256_storeu_ps(p.y + ((b * p.ho + oy + a) * p.wo + ox + c) * p.cout + co0 + v, o);
                }
            }
        }
    }
}

/** A run of horizontally adjacent tiles of one tile row: image b, tile row ty, from tile column tx0, at `offset` in its chunk. */
struct Segment
{
    std::int64_t b, ty, tx0, tiles, offset;
};

/**
 * The runs of the `count` tiles from tile `first` of the batch's tiles in reading order (image, tile row,
 * tile column): a chunk may span rows and images. Returns how many (at most kChunk) are in segs.
 */
int segmentsOf(const Problem &p, std::int64_t first, std::int64_t count, Segment *segs)
{
    int n = 0;
    for (std::int64_t t = 0; t < count;) {
        const std::int64_t g = first + t, row = g / p.tilesX, tx0 = g % p.tilesX;
        const std::int64_t tiles = std::min(count - t, p.tilesX - tx0);
        segs[n++] = {row / p.tilesY, row % p.tilesY, tx0, tiles, t};
        t += tiles;
    }
    return n;
}

/**
 * kChunk tiles (`count` at the end) from the tile `first` of the batch's tiles in reading order (image,
 * tile row, tile column), transformed, multiplied and transformed back. A chunk may span rows and
 * images, so that small images (the coarsest scale's rows are 8 tiles) fill whole tile groups.
 */
void tileChunk(const Problem &p, std::int64_t first, std::int64_t count)
{
    thread_local std::vector<float> vbuf, mbuf, cbuf;
    vbuf.resize(size_t(kPositions * kChunk * p.cin));
    mbuf.resize(size_t(kPositions * kChunk * 16));
    cbuf.resize(size_t(8 * kAlpha * p.cin));
    float *V = vbuf.data();
    Segment segs[kChunk];
    const int nsegs = segmentsOf(p, first, count, segs);
    for (int i = 0; i < nsegs; ++i) {
        const Segment &sg = segs[i];
        if (p.eluResult)
            inputTiles<true>(p, sg.b, kTile * sg.ty - p.pad, kTile * sg.tx0 - p.pad, sg.tiles, V + sg.offset * p.cin, cbuf.data());
        else
            inputTiles<false>(p, sg.b, kTile * sg.ty - p.pad, kTile * sg.tx0 - p.pad, sg.tiles, V + sg.offset * p.cin, cbuf.data());
    }
    const std::int64_t padded = (count + 11) / 12 * 12; // whole groups of either kind; the rest zero
    for (int pos = 0; pos < kPositions; ++pos)
        std::fill(V + (pos * kChunk + count) * p.cin, V + (pos * kChunk + padded) * p.cin, 0.0f);
    const auto back = [&](std::int64_t width, std::int64_t co0) {
        for (int i = 0; i < nsegs; ++i)
            outputTiles(p, mbuf.data() + segs[i].offset * width, width, co0, segs[i].b, segs[i].ty, segs[i].tx0, segs[i].tiles);
    };
    std::int64_t co0 = 0;
    for (; co0 + 16 <= p.cout; co0 += 16) {
        products<2, 6>(p, V, count, co0, mbuf.data());
        back(16, co0);
    }
    if (co0 < p.cout) {
        products<1, 12>(p, V, count, co0, mbuf.data());
        back(8, co0);
    }
}

/** A g for one column (or row) of an output gradient's four values: the six of its tile's transform. */
inline void gradTransform(const __m256 *g, __m256 *t)
{
    const __m256 two = _mm256_set1_ps(2.0f), four = _mm256_set1_ps(4.0f), eight = _mm256_set1_ps(8.0f);
    const __m256 e = _mm256_add_ps(g[0], g[2]), o = _mm256_add_ps(g[1], g[3]);
    const __m256 e4 = _mm256_fmadd_ps(four, g[2], g[0]), o8 = _mm256_fmadd_ps(eight, g[3], _mm256_mul_ps(two, g[1]));
    t[0] = g[0];
    t[1] = _mm256_add_ps(e, o);   // g0 + g1 + g2 + g3
    t[2] = _mm256_sub_ps(e, o);   // g0 - g1 + g2 - g3
    t[3] = _mm256_add_ps(e4, o8); // g0 + 2g1 + 4g2 + 8g3
    t[4] = _mm256_sub_ps(e4, o8); // g0 - 2g1 + 4g2 - 8g3
    t[5] = g[3];
}

/**
 * A g A^T for `tiles` horizontally adjacent 4x4 blocks of the output gradient from block row ty and
 * column tx0: T[pos][t][co]. Blocks reaching past the output read zeros there; with an ELU result,
 * the gradient is taken through that ELU.
 */
void gradTiles(const Problem &p, std::int64_t b, std::int64_t ty, std::int64_t tx0, std::int64_t tiles, float *T)
{
    const std::int64_t cout = p.cout, stride = kChunk * cout;
    const __m256 zero = _mm256_setzero_ps();
    for (std::int64_t t = 0; t < tiles; ++t) {
        const std::int64_t oy = kTile * ty, ox = kTile * (tx0 + t);
        for (std::int64_t c = 0; c < cout; c += 8) {
            __m256 rows[kTile][kAlpha]; // each of the block's rows transformed along it
            for (int a = 0; a < kTile; ++a) {
                __m256 g[kTile];
                for (int j = 0; j < kTile; ++j) {
                    if (oy + a >= p.ho || ox + j >= p.wo) {
                        g[j] = zero;
                        continue;
                    }
                    const std::int64_t at = ((b * p.ho + oy + a) * p.wo + ox + j) * cout + c;
                    g[j] = _mm256_loadu_ps(p.x + at);
                    if (p.eluResult)
                        g[j] = eluBackVec(g[j], _mm256_loadu_ps(p.eluResult + at));
                }
                gradTransform(g, rows[a]);
            }
            float *out = T + t * cout + c;
            for (int j = 0; j < kAlpha; ++j) {
                __m256 col[kTile], r[kAlpha];
                for (int a = 0; a < kTile; ++a)
                    col[a] = rows[a][j];
                gradTransform(col, r);
                for (int i = 0; i < kAlpha; ++i)
                    _mm256_storeu_ps(out + (i * kAlpha + j) * stride, r[i]);
            }
        }
    }
}

/**
 * M[pos][ci][co] += sum over the chunk's `tiles` of V[pos][t][ci] T[pos][t][co], R input channels from
 * ci0 and NV * 8 output channels from co0 in registers.
 */
template <int R, int NV>
inline void accumulate(const float *V, const float *T, std::int64_t tiles, std::int64_t cin, std::int64_t cout, int pos,
                       std::int64_t ci0, std::int64_t co0, float *M)
{
    __m256 acc[R][NV];
    float *mp = M + (std::int64_t(pos) * cin + ci0) * cout + co0;
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v)
            acc[r][v] = _mm256_loadu_ps(mp + r * cout + 8 * v);
    fmaPanel<R, NV>(acc, V + std::int64_t(pos) * kChunk * cin + ci0, 1, cin, T + std::int64_t(pos) * kChunk * cout + co0, cout, tiles);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v)
            _mm256_storeu_ps(mp + r * cout + 8 * v, acc[r][v]);
}

/** One chunk's share of the weight gradient added to M (kPositions x cin x cout): p reads the input, q the output gradient. */
void weightChunk(const Problem &p, const Problem &q, std::int64_t first, std::int64_t count, float *M)
{
    thread_local std::vector<float> vbuf, tbuf, cbuf;
    vbuf.resize(size_t(kPositions * kChunk * p.cin));
    tbuf.resize(size_t(kPositions * kChunk * p.cout));
    cbuf.resize(size_t(8 * kAlpha * p.cin));
    Segment segs[kChunk];
    const int nsegs = segmentsOf(p, first, count, segs);
    for (int i = 0; i < nsegs; ++i) {
        const Segment &sg = segs[i];
        inputTiles<false>(p, sg.b, kTile * sg.ty, kTile * sg.tx0, sg.tiles, vbuf.data() + sg.offset * p.cin, cbuf.data());
        gradTiles(q, sg.b, sg.ty, sg.tx0, sg.tiles, tbuf.data() + sg.offset * p.cout);
    }
    for (int pos = 0; pos < kPositions; ++pos)
        for (std::int64_t co0 = 0; co0 < p.cout; co0 += 16) {
            const bool two = co0 + 16 <= p.cout;
            std::int64_t ci0 = 0;
            for (; ci0 + 6 <= p.cin; ci0 += 6)
                two ? accumulate<6, 2>(vbuf.data(), tbuf.data(), count, p.cin, p.cout, pos, ci0, co0, M)
                    : accumulate<6, 1>(vbuf.data(), tbuf.data(), count, p.cin, p.cout, pos, ci0, co0, M);
            for (; ci0 < p.cin; ++ci0)
                two ? accumulate<1, 2>(vbuf.data(), tbuf.data(), count, p.cin, p.cout, pos, ci0, co0, M)
                    : accumulate<1, 1>(vbuf.data(), tbuf.data(), count, p.cin, p.cout, pos, ci0, co0, M);
        }
}

} // namespace

void winogradConv3x3(const float *x, const float *eluResult, std::int64_t n, std::int64_t h, std::int64_t w,
                     std::int64_t inChannels, std::int64_t pad, const float *u, const float *bias,
                     std::int64_t outChannels, bool elu, float *y)
{
    Problem p{x, eluResult, u, bias, y, n, h, w, inChannels, pad, outChannels, h + 2 * pad - 2, w + 2 * pad - 2, 0, 0, elu};
    if (p.ho < 1 || p.wo < 1 || n < 1)
        return;
    p.tilesY = (p.ho + kTile - 1) / kTile;
    p.tilesX = (p.wo + kTile - 1) / kTile;
    const std::int64_t total = n * p.tilesY * p.tilesX, chunks = (total + kChunk - 1) / kChunk;
    at::parallel_for(0, chunks, 1, [&](std::int64_t s, std::int64_t e) {
        for (std::int64_t c = s; c < e; ++c)
            tileChunk(p, c * kChunk, std::min(kChunk, total - c * kChunk));
    });
}

void winogradWeightGradient(const float *x, const float *grad, const float *eluResult, std::int64_t n, std::int64_t h,
                            std::int64_t w, std::int64_t inChannels, std::int64_t outChannels, float *dw)
{
    // The input's tiles as the forward's (pad 0) and the output gradient's 4x4 blocks (here in x's and
    // eluResult's slots of the Problem, with cin/cout the convolution's).
    Problem p{x, nullptr, nullptr, nullptr, nullptr, n, h, w, inChannels, 0, outChannels, h - 2, w - 2, 0, 0, false};
    std::fill(dw, dw + outChannels * inChannels * 9, 0.0f);
    if (p.ho < 1 || p.wo < 1 || n < 1)
        return;
    p.tilesY = (p.ho + kTile - 1) / kTile;
    p.tilesX = (p.wo + kTile - 1) / kTile;
    Problem q = p; // what gradTiles reads
    q.x = grad;
    q.eluResult = eluResult;
    const std::int64_t total = n * p.tilesY * p.tilesX, chunks = (total + kChunk - 1) / kChunk;
    // A fixed number of groups of consecutive chunks, each summed by one thread in order, then the groups
    // in order: the same sums for any number of threads.
    // A few chunks to a group at least (each group's partial sums are kPositions x cin x cout floats to clear
    // and add up), an even number of groups where there are more than one.
    std::int64_t groups = std::min<std::int64_t>(kWeightGroups, std::max<std::int64_t>(1, chunks / 3));
    if (groups > 1)
        groups &= ~std::int64_t(1);
    const std::int64_t mSize = kPositions * inChannels * outChannels;
    std::vector<float> partial(size_t(groups * mSize), 0.0f);
    at::parallel_for(0, groups, 1, [&](std::int64_t s, std::int64_t e) {
        for (std::int64_t g = s; g < e; ++g) {
            const std::int64_t c0 = g * chunks / groups, c1 = (g + 1) * chunks / groups;
            for (std::int64_t c = c0; c < c1; ++c)
                weightChunk(p, q, c * kChunk, std::min(kChunk, total - c * kChunk), partial.data() + g * mSize);
        }
    });
    // The groups' sums, then G^T M G per channel pair (M G first: 6x3, then G^T of that), in double, for
    // one input channel and all output channels at a time (innermost: vectors).
    at::parallel_for(0, inChannels, 1, [&](std::int64_t s, std::int64_t e) {
        std::vector<double> m(size_t(kPositions * outChannels)), mg(size_t(kAlpha * 3 * outChannels));
        for (std::int64_t i = s; i < e; ++i) {
            for (int pos = 0; pos < kPositions; ++pos) {
                double *mp = m.data() + pos * outChannels;
                const float *src = partial.data() + (pos * inChannels + i) * outChannels;
                for (std::int64_t o = 0; o < outChannels; ++o)
                    mp[o] = src[o];
                for (std::int64_t g = 1; g < groups; ++g)
                    for (std::int64_t o = 0; o < outChannels; ++o)
                        mp[o] += src[g * mSize + o];
            }
            for (int r = 0; r < kAlpha; ++r)
                for (int b = 0; b < 3; ++b) {
                    double *dst = mg.data() + (r * 3 + b) * outChannels;
                    const double *row = m.data() + r * kAlpha * outChannels;
                    for (std::int64_t o = 0; o < outChannels; ++o)
                        dst[o] = 0;
                    for (int c = 0; c < kAlpha; ++c) {
                        const double gc = kG[c][b];
                        for (std::int64_t o = 0; o < outChannels; ++o)
                            dst[o] += row[c * outChannels + o] * gc;
                    }
                }
            for (int a = 0; a < 3; ++a)
                for (int b = 0; b < 3; ++b)
                    for (std::int64_t o = 0; o < outChannels; ++o) {
                        double v = 0;
                        for (int r = 0; r < kAlpha; ++r)
                            v += kG[r][a] * mg[size_t((r * 3 + b) * outChannels + o)];
                        dw[(o * inChannels + i) * 9 + a * 3 + b] = float(v);
                    }
        }
    });
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else

void winogradConv3x3(const float *, const float *, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                     const float *, const float *, std::int64_t, bool, float *)
{
}

void winogradWeightGradient(const float *, const float *, const float *, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                            std::int64_t, float *)
{
}

#endif

} // namespace pgcn
