#include "cli_args.h"

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace pgcn::cli {

Args::Args(int argc, char **argv, int first, const std::vector<std::string> &valued,
           const std::vector<std::string> &flags, const std::map<char, std::string> &shortNames)
{
    auto isValued = [&](const std::string &n) { return std::find(valued.begin(), valued.end(), n) != valued.end(); };
    auto isFlag = [&](const std::string &n) { return std::find(flags.begin(), flags.end(), n) != flags.end(); };
    for (int i = first; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            m_help = true;
            continue;
        }
        if (a == "--") {
            for (++i; i < argc; ++i)
                m_positionals.push_back(argv[i]);
            break;
        }
        std::string name, value;
        bool inlineValue = false;
        if (a.rfind("--", 0) == 0) {
            name = a.substr(2);
            const auto eq = name.find('=');
            if (eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
                inlineValue = true;
            }
        } else if (a.size() == 2 && a[0] == '-' && !std::isdigit(static_cast<unsigned char>(a[1]))) {
            const auto it = shortNames.find(a[1]);
            if (it == shortNames.end())
                throw UsageError{"unknown option '" + a + "'"};
            name = it->second;
        } else {
            m_positionals.push_back(a);
            continue;
        }
        if (isFlag(name)) {
            if (inlineValue)
                throw UsageError{"option --" + name + " takes no value"};
            m_flags[name] = true;
        } else if (isValued(name)) {
            if (!inlineValue) {
                if (i + 1 >= argc)
                    throw UsageError{"option --" + name + " needs a value"};
                value = argv[++i];
            }
            m_values[name] = value;
        } else {
            throw UsageError{"unknown option '--" + name + "'"};
        }
    }
}

std::string Args::str(const std::string &name, const std::string &fallback) const
{
    const auto it = m_values.find(name);
    return it == m_values.end() ? fallback : it->second;
}

long long Args::int64(const std::string &name, long long fallback, long long lo, long long hi) const
{
    const auto it = m_values.find(name);
    if (it == m_values.end())
        return fallback;
    char *end = nullptr;
    errno = 0;
    const long long v = std::strtoll(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || errno == ERANGE)
        throw UsageError{"--" + name + " expects an integer (got '" + it->second + "')"};
    if (v < lo || v > hi)
        throw UsageError{"--" + name + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                         " (got " + it->second + ")"};
    return v;
}

int Args::integer(const std::string &name, int fallback, int lo, int hi) const
{
    return int(int64(name, fallback, lo, hi));
}

double Args::real(const std::string &name, double fallback, double lo, double hi) const
{
    const auto it = m_values.find(name);
    if (it == m_values.end())
        return fallback;
    char *end = nullptr;
    const double v = std::strtod(it->second.c_str(), &end);
    if (it->second.empty() || *end != '\0' || !std::isfinite(v))
        throw UsageError{"--" + name + " expects a number (got '" + it->second + "')"};
    if (v < lo || v > hi)
        throw UsageError{"--" + name + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                         " (got " + it->second + ")"};
    return v;
}

} // namespace pgcn::cli
