#include "trainlog.h"

#include <locale>
#include <sstream>

namespace pgcn {

std::string trainingLogCsv(const std::vector<std::vector<TrainLogPoint>> &log)
{
    std::ostringstream out;
    out.imbue(std::locale::classic()); // a decimal point whatever locale the studio runs in
    out.precision(9);                  // round-trips the energies' float precision
    out << "scale,iteration,energy_real,energy_synthesis,recovery_mse\n";
    for (size_t s = 0; s < log.size(); ++s)
        for (const TrainLogPoint &p : log[s])
            out << s << ',' << p.iteration << ',' << p.energyReal << ',' << p.energySyn << ',' << p.recoveryMse << '\n';
    return out.str();
}

} // namespace pgcn
