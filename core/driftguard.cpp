#include "driftguard.h"

#include <algorithm>
#include <cmath>

namespace pgcn {

DriftGuard::DriftGuard(int iterations)
    : m_iterations(iterations), m_every(std::max(10, int(std::lround(iterations / 400.0)) * 10)),
      m_sustainedSpan(std::max(kWindow, int(std::ceil(kSustainedShare * iterations))))
{
}

double DriftGuard::mean(const std::vector<double> &v)
{
    double m = 0;
    for (double x : v)
        m += x / double(v.size());
    return m;
}

bool DriftGuard::observe(int it, double recoveryMse, double saturation)
{
    for (auto [list, v] : {std::pair{&m_mse, recoveryMse}, std::pair{&m_sat, saturation}}) {
        list->push_back(v);
        if (list->size() > size_t(kWindow))
            list->erase(list->begin());
    }
    if (m_mse.size() < size_t(kWindow))
        return false;
    const double m = recentMse();
    m_best = std::min(m_best, m);
    if (!drifted())
        m_driftSince = -1;
    else if (m_driftSince < 0)
        m_driftSince = it;
    return it % m_every == 0 && 2 * (it + 1) >= m_iterations && m <= kHealthyFactor * m_best;
}

void DriftGuard::checkpointTaken(int it)
{
    m_checkpointIt = it + 1;
    m_checkpointMse = recentMse();
    m_checkpointSat = recentSaturation();
}

bool DriftGuard::sustained(int it) const
{
    // m_driftSince is set only while observe() finds the attempt drifted.
    return m_driftSince >= 0 && it - m_driftSince >= m_sustainedSpan;
}

bool DriftGuard::drifted() const
{
    const double m = recentMse();
    return m_checkpointIt > 0 && m > kDriftFactor * m_best && m > m_best + kDriftFloor;
}

} // namespace pgcn
