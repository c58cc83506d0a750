#pragma once

#include <stdexcept>
#include <string>

namespace pgcn {

/** Base of every error the engine reports to a user: the message is meant to be shown as is. */
class Error : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/** A parameter out of range; the message names the parameter and the value. */
class InvalidArgument : public Error
{
public:
    using Error::Error;
};

/** A model or project file that cannot be read (foreign, damaged, other version). */
class FileFormatError : public Error
{
public:
    using Error::Error;
};

/** Thrown out of long loops when the caller's cancel flag is raised. */
class Cancelled : public Error
{
public:
    Cancelled() : Error("cancelled") {}
};

/** Training produced non-finite values or the recovery failed beyond repair. */
class TrainingDiverged : public Error
{
public:
    TrainingDiverged(int scale, const std::string &what)
        : Error(what), m_scale(scale) {}
    int scale() const { return m_scale; }

private:
    int m_scale;
};

} // namespace pgcn
