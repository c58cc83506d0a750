#include "elu.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) && (defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 10))
#define PGCN_ELU_AVX512 1
// GCC 12's AVX-512 intrinsics start their results from a self-initialised "undefined"
// vector and then warn of it where they are inlined (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#endif

namespace pgcn {

namespace {

#ifdef PGCN_ELU_AVX512

#define PGCN_AVX512 __attribute__((target("avx512f")))
#define PGCN_AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

/** exp(m) - 1 for m <= 0 (NaN stays NaN), to fp32's accuracy: m = n ln2 + r, |r| <= ln2/2, expm1(r) by Taylor to r^7. */
PGCN_AVX512 inline __m512 expm1NonPositive(__m512 m)
{
    m = _mm512_max_ps(_mm512_set1_ps(-30.0f), m); // below this the result is -1 in fp32; max(c, NaN) keeps the NaN
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(m, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), m); // ln2's leading bits: n * them is exact
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 q = _mm512_set1_ps(1.0f / 5040.0f);
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 720.0f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 120.0f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 24.0f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 6.0f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(0.5f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f));
    const __m512 p = _mm512_mul_ps(q, r);                          // expm1(r)
    const __m512 t = _mm512_scalef_ps(_mm512_set1_ps(1.0f), n);    // 2^n
    return _mm512_fmadd_ps(t, p, _mm512_sub_ps(t, _mm512_set1_ps(1.0f))); // 2^n (expm1(r) + 1) - 1; n = 0: expm1(r) exactly
}

PGCN_AVX512 inline __m512 eluVec(__m512 v)
{
    const __m512 zero = _mm512_setzero_ps();
    const __m512 neg = expm1NonPositive(_mm512_min_ps(zero, v)); // min(0, NaN) keeps the NaN
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ), neg, v);
}

PGCN_AVX512 inline __m512 eluBackVec(__m512 g, __m512 y)
{
    // y > 0: g; else g (y + 1) = g y + g (a NaN in y gives NaN).
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_GT_OQ), _mm512_fmadd_ps(g, y, g), g);
}

PGCN_AVX512BF16 inline __m512 loadBf16(const std::uint16_t *p)
{
    const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(raw), 16));
}

PGCN_AVX512BF16 inline void storeBf16(std::uint16_t *p, __m512 v)
{
    const __m256bh b = _mm512_cvtneps_pbh(v); // round to nearest even, NaN kept
    std::memcpy(p, &b, sizeof b);
}

// The loops: whole vectors, then the tail through a 16-element buffer.
PGCN_AVX512 void eluF32(const float *x, float *y, std::int64_t n)
{
    std::int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, eluVec(_mm512_loadu_ps(x + i)));
    if (i < n) {
        const __mmask16 k = __mmask16((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(y + i, k, eluVec(_mm512_maskz_loadu_ps(k, x + i)));
    }
}

PGCN_AVX512 void eluBackF32(const float *g, const float *y, float *out, std::int64_t n)
{
    std::int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(out + i, eluBackVec(_mm512_loadu_ps(g + i), _mm512_loadu_ps(y + i)));
    if (i < n) {
        const __mmask16 k = __mmask16((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(out + i, k, eluBackVec(_mm512_maskz_loadu_ps(k, g + i), _mm512_maskz_loadu_ps(k, y + i)));
    }
}

PGCN_AVX512BF16 void eluBf16(const std::uint16_t *x, std::uint16_t *y, std::int64_t n)
{
    std::int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        storeBf16(y + i, eluVec(loadBf16(x + i)));
    if (i < n) {
        std::uint16_t in[16] = {}, out[16];
        std::memcpy(in, x + i, size_t(n - i) * 2);
        storeBf16(out, eluVec(loadBf16(in)));
        std::memcpy(y + i, out, size_t(n - i) * 2);
    }
}

PGCN_AVX512BF16 void eluBackBf16(const std::uint16_t *g, const std::uint16_t *y, std::uint16_t *out, std::int64_t n)
{
    std::int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        storeBf16(out + i, eluBackVec(loadBf16(g + i), loadBf16(y + i)));
    if (i < n) {
        std::uint16_t gi[16] = {}, yi[16] = {}, o[16];
        std::memcpy(gi, g + i, size_t(n - i) * 2);
        std::memcpy(yi, y + i, size_t(n - i) * 2);
        storeBf16(o, eluBackVec(loadBf16(gi), loadBf16(yi)));
        std::memcpy(out + i, o, size_t(n - i) * 2);
    }
}

bool cpuHas(bool bf16)
{
    static const bool f = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") != 0;
    }();
    static const bool b = f && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                          __builtin_cpu_supports("avx512bf16");
    return bf16 ? b : f;
}
#endif

/** Elements a thread takes at once: small scales' maps (tens of thousands of values) stay on one thread. */
constexpr std::int64_t kGrain = 1 << 15;

bool denseCpu(const at::Tensor &t)
{
    return t.defined() && t.device().is_cpu() && t.layout() == at::kStrided && t.is_non_overlapping_and_dense() &&
           !t.requires_grad() && fastEluFor(t.scalar_type());
}

} // namespace

bool fastEluFor(at::ScalarType type)
{
#ifdef PGCN_ELU_AVX512
    // PATCHGENCN_ATEN_ELU=1: LibTorch's kernels, to measure against (patchgencn-bench).
    static const bool off = [] {
        const char *v = std::getenv("PATCHGENCN_ATEN_ELU");
        return v && *v && std::strcmp(v, "0") != 0;
    }();
    if (off)
        return false;
    return (type == at::kFloat && cpuHas(false)) || (type == at::kBFloat16 && cpuHas(true));
#else
    (void)type;
    return false;
#endif
}

at::Tensor eluForward(const at::Tensor &x)
{
#ifdef PGCN_ELU_AVX512
    if (denseCpu(x)) {
        at::Tensor y = at::empty_like(x); // the same strides: the loop runs over memory order
        const std::int64_t n = x.numel();
        if (x.scalar_type() == at::kFloat) {
            const float *src = x.data_ptr<float>();
            float *dst = y.data_ptr<float>();
            at::parallel_for(0, n, kGrain, [&](std::int64_t b, std::int64_t e) { eluF32(src + b, dst + b, e - b); });
        } else {
            const auto *src = reinterpret_cast<const std::uint16_t *>(x.data_ptr<at::BFloat16>());
            auto *dst = reinterpret_cast<std::uint16_t *>(y.data_ptr<at::BFloat16>());
            at::parallel_for(0, n, kGrain, [&](std::int64_t b, std::int64_t e) { eluBf16(src + b, dst + b, e - b); });
        }
        return y;
    }
#endif
    return at::elu(x);
}

at::Tensor eluBackwardFromResult(const at::Tensor &grad, const at::Tensor &y)
{
#ifdef PGCN_ELU_AVX512
    if (denseCpu(grad) && denseCpu(y) && grad.scalar_type() == y.scalar_type() && grad.sizes() == y.sizes() &&
        grad.strides() == y.strides()) {
        at::Tensor out = at::empty_like(y);
        const std::int64_t n = y.numel();
        if (y.scalar_type() == at::kFloat) {
            const float *g = grad.data_ptr<float>(), *r = y.data_ptr<float>();
            float *o = out.data_ptr<float>();
            at::parallel_for(0, n, kGrain, [&](std::int64_t b, std::int64_t e) { eluBackF32(g + b, r + b, o + b, e - b); });
        } else {
            const auto *g = reinterpret_cast<const std::uint16_t *>(grad.data_ptr<at::BFloat16>());
            const auto *r = reinterpret_cast<const std::uint16_t *>(y.data_ptr<at::BFloat16>());
            auto *o = reinterpret_cast<std::uint16_t *>(out.data_ptr<at::BFloat16>());
            at::parallel_for(0, n, kGrain, [&](std::int64_t b, std::int64_t e) { eluBackBf16(g + b, r + b, o + b, e - b); });
        }
        return out;
    }
#endif
    return at::elu_backward(grad, 1.0, 1.0, 1.0, /*is_result=*/true, y);
}

} // namespace pgcn
