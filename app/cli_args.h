#pragma once

#include <map>
#include <string>
#include <vector>

namespace pgcn::cli {

/**
 * A tiny option parser: `--name value`, `--name=value`, `-x value`, flags
 * and positionals. Unknown options and missing values are reported by name.
 */
class Args
{
public:
    /** `valued` and `flags` list the accepted long names (without --); `shortNames` maps -x to a long name. */
    Args(int argc, char **argv, int first, const std::vector<std::string> &valued,
         const std::vector<std::string> &flags, const std::map<char, std::string> &shortNames = {});

    bool has(const std::string &name) const { return m_values.count(name) > 0 || m_flags.count(name) > 0; }
    std::string str(const std::string &name, const std::string &fallback = {}) const;
    int integer(const std::string &name, int fallback, int lo, int hi) const;
    long long int64(const std::string &name, long long fallback, long long lo, long long hi) const;
    double real(const std::string &name, double fallback, double lo, double hi) const;
    const std::vector<std::string> &positionals() const { return m_positionals; }
    bool help() const { return m_help; }

private:
    std::map<std::string, std::string> m_values;
    std::map<std::string, bool> m_flags;
    std::vector<std::string> m_positionals;
    bool m_help = false;
};

/** Thrown for command-line mistakes; main prints it with a usage hint and exits 2. */
struct UsageError
{
    std::string message;
};

} // namespace pgcn::cli
