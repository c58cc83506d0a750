#pragma once

#include <string>
#include <vector>

namespace pgcn {

/** One measured training iteration of a scale, kept in the model (the studio plots it). */
struct TrainLogPoint
{
    int iteration = 0; ///< 1-based within the scale
    double energyReal = 0;
    double energySyn = 0;
    double recoveryMse = 0;
    bool operator==(const TrainLogPoint &o) const
    {
        return iteration == o.iteration && energyReal == o.energyReal && energySyn == o.energySyn && recoveryMse == o.recoveryMse;
    }
};

/**
 * A training log as CSV, one row per measured iteration, coarsest scale
 * first: `scale,iteration,energy_real,energy_synthesis,recovery_mse`, the
 * scale numbered from 0 as `patchgencn info` and --start-scale number it, values with 9
 * significant digits and a decimal point whatever the locale. Scales without
 * points have no rows.
 */
std::string trainingLogCsv(const std::vector<std::vector<TrainLogPoint>> &log);

} // namespace pgcn
