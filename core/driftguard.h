#pragma once

#include <limits>
#include <vector>

namespace pgcn {

/**
 * How one training attempt of a scale is judged at its end, from its measured
 * iterations: the recovery MSE and the synthesis saturation over the last
 * kWindow of them, and a drift at the end.
 *
 * A drift: the recent mean recovery MSE ends at more than kDriftFactor times the
 * lowest such mean of the attempt (and kDriftFloor above it). The trainer then
 * puts the net back to its checkpoint, taken when `observe` said so: on every
 * `checkpointEvery`-th iteration of the second half whose recent mean was within
 * kHealthyFactor of the lowest so far. Energy-based training with short chains
 * can run away late as well as early; a late drift costs a checkpoint, not the
 * whole scale again (nor a drifted net that the next scale starts from).
 *
 * Measured on the 250-px colosseum, `balanced`, seed 1: the coarsest scale's
 * recent mean held 0.0065-0.0085 for 3000 iterations, then drifted from iteration
 * 3890 of 4000 to 0.04 at its end (6x), and the next scale, warm-started from that
 * net, ran away from its first iterations (recovery MSE 0.93, retried).
 *
 * A drift that has lasted kSustainedShare of the attempt's iterations ends the
 * attempt there (`sustained`): no checkpoint is taken while it lasts, so the rest
 * of the iterations could only end at the same checkpoint, unless the drift went
 * away again. Measured with `quick`'s 2500 fp32 coarsest iterations: drifts that
 * ended at the checkpoint of iteration 1381, 1561 or 1801 (SIGD16 11, 2), and one
 * that went away by itself after 78 iterations (SIGD16 7, up to 19.5x its best).
 */
class DriftGuard
{
public:
    static constexpr int kWindow = 20;
    static constexpr double kDriftFactor = 3.0;
    static constexpr double kDriftFloor = 0.005;
    static constexpr double kHealthyFactor = 1.5;
    static constexpr double kSustainedShare = 0.1;

    /** For an attempt of `iterations` iterations; checkpoints about 40 times, on multiples of 10 (a GPU measures every 10th). */
    explicit DriftGuard(int iterations);

    /** Iteration `it` (0-based) was measured. True: checkpoint the net now (after this iteration's update). */
    bool observe(int it, double recoveryMse, double saturation);
    /** The net was checkpointed as `observe` asked (at iteration `it`, 0-based). */
    void checkpointTaken(int it);

    /** Means over the last kWindow measured iterations (0 before any). */
    double recentMse() const { return mean(m_mse); }
    double recentSaturation() const { return mean(m_sat); }
    /** The lowest recent mean seen with a full window (infinity before). */
    double bestMse() const { return m_best; }

    /** Whether the attempt ends drifted and has a checkpoint to go back to. */
    bool drifted() const;
    /** Whether the drift has lasted since `driftStart()` for kSustainedShare of the iterations
     *  (at least kWindow) up to iteration `it` (0-based), the last one observed: the attempt stops. */
    bool sustained(int it) const;
    /** The first measured iteration (1-based) of the drift going on (0: none). */
    int driftStart() const { return m_driftSince + 1; }
    /** The checkpoint's iteration (1-based count of updates in it; 0: none) and its recent means. */
    int checkpointIteration() const { return m_checkpointIt; }
    double checkpointMse() const { return m_checkpointMse; }
    double checkpointSaturation() const { return m_checkpointSat; }

    int checkpointEvery() const { return m_every; }

private:
    static double mean(const std::vector<double> &v);

    int m_iterations;
    int m_every;
    int m_sustainedSpan; // iterations a drift lasts before `sustained`
    std::vector<double> m_mse, m_sat;
    double m_best = std::numeric_limits<double>::infinity();
    int m_checkpointIt = 0;
    int m_driftSince = -1; // 0-based iteration where the current drift was first seen
    double m_checkpointMse = 0, m_checkpointSat = 0;
};

} // namespace pgcn
