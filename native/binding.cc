// Node-API glue: checks the arguments, calls keepalive.cc, returns numbers.
// Built without C++ exceptions; a bad argument becomes a pending JS TypeError.
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "keepalive.h"

namespace {

// Throws a TypeError (or RangeError) carrying a Node-style `code`; returns false
// so that callers can `return ThrowCoded(...)`.
template <typename ErrorType>
bool ThrowCoded(Napi::Env env, const std::string& message, const char* code) {
  ErrorType error = ErrorType::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.ThrowAsJavaScriptException();
  return false;
}

// Reads an integral number in [min, max]; anything else throws a TypeError
// and returns false, so no syscall runs on a coerced value.
bool ReadInt(const Napi::CallbackInfo& info, size_t index, const char* name,
             double min, double max, int32_t* out) {
  Napi::Env env = info.Env();
  double value;
  // napi_get_value_double fails for anything but a number: one Node-API call
  // both checks the type and reads, on a path taken for every argument.
  if (index >= info.Length() ||
      napi_get_value_double(env, info[index], &value) != napi_ok) {
    return ThrowCoded<Napi::TypeError>(
        env, std::string("The \"") + name + "\" argument must be of type number",
        "ERR_INVALID_ARG_TYPE");
  }
  if (!(value >= min && value <= max) || std::trunc(value) != value) {
    return ThrowCoded<Napi::RangeError>(
        env, std::string("The value of \"") + name +
                 "\" is out of range. It must be an integer in the binding's range",
        "ERR_OUT_OF_RANGE");
  }
  *out = static_cast<int32_t>(value);
  return true;
}

// Reads info[index] as a typed array of `type` with at least `min_length`
// elements, with one Node-API call, and gives its data; anything else (a
// detached buffer included) throws a TypeError and returns false.
bool ReadOut(const Napi::CallbackInfo& info, size_t index, napi_typedarray_type type,
             size_t min_length, const char* expected, void** data) {
  napi_typedarray_type actual_type;
  size_t length;
  if (index < info.Length() &&
      napi_get_typedarray_info(info.Env(), info[index], &actual_type, &length, data,
                               nullptr, nullptr) == napi_ok &&
      actual_type == type && length >= min_length && *data != nullptr) {
    return true;
  }
  return ThrowCoded<Napi::TypeError>(
      info.Env(), std::string("The \"out\" argument must be ") + expected, "ERR_INVALID_ARG_TYPE");
}

bool ReadFd(const Napi::CallbackInfo& info, int32_t* fd) {
  return ReadInt(info, 0, "fd", 0, INT32_MAX, fd);
}

// set(fd, idle, interval, count, userTimeout, enable): each value in the
// kernel's unit, -1 to leave it unchanged. Returns 0 or a failure status.
Napi::Value Set(const Napi::CallbackInfo& info) {
  static const char* const kNames[KA_OPTION_COUNT] = {
      "idle", "interval", "count", "userTimeout", "enable"};
  int32_t fd;
  if (!ReadFd(info, &fd)) return info.Env().Undefined();
  int32_t values[KA_OPTION_COUNT];
  for (int option = 0; option < KA_OPTION_COUNT; option++) {
    if (!ReadInt(info, option + 1, kNames[option], KA_UNCHANGED, INT32_MAX,
                 &values[option])) {
      return info.Env().Undefined();
    }
  }
  return Napi::Number::New(info.Env(), ka_set(fd, values));
}

// get(fd, out): fills out (an Int32Array of at least KA_OPTION_COUNT) with
// the kernel's values, -1 for options the platform lacks. Returns 0 or a
// failure status.
Napi::Value Get(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t fd;
  if (!ReadFd(info, &fd)) return env.Undefined();
  void* out;
  if (!ReadOut(info, 1, napi_int32_array, KA_OPTION_COUNT, "an Int32Array of length >= 5", &out)) {
    return env.Undefined();
  }
  return Napi::Number::New(env, ka_get(fd, static_cast<int32_t*>(out)));
}

// status(fd, out): fills out (a Uint32Array of at least KA_STATUS_FIELD_COUNT)
// with the connection's live state. Returns 0 or a failure status.
Napi::Value Status(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t fd;
  if (!ReadFd(info, &fd)) return env.Undefined();
  void* out;
  if (!ReadOut(info, 1, napi_uint32_array, KA_STATUS_FIELD_COUNT, "a Uint32Array of length >= 11",
               &out)) {
    return env.Undefined();
  }
  return Napi::Number::New(env, ka_status(fd, static_cast<uint32_t*>(out)));
}

// systemDefaults(out): fills out (an Int32Array of at least 3) with the
// system-wide idle and interval (in defaultTimeUnitMs) and count. Returns 0 or a failure status.
Napi::Value SystemDefaults(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* out;
  if (!ReadOut(info, 0, napi_int32_array, KA_DEFAULT_FIELDS, "an Int32Array of length >= 3", &out)) {
    return env.Undefined();
  }
  return Napi::Number::New(env, ka_system_defaults(static_cast<int32_t*>(out)));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Array names = Napi::Array::New(env, KA_OPTION_COUNT);
  Napi::Array maxima = Napi::Array::New(env, KA_OPTION_COUNT);
  for (int option = 0; option < KA_OPTION_COUNT; option++) {
    const char* name = ka_option_name(option);
    names.Set(option, name ? Napi::Value(Napi::String::New(env, name))
                           : Napi::Value(env.Null()));
    maxima.Set(option, Napi::Number::New(env, ka_option_max(option)));
  }
  exports.Set("optionNames", names);
  exports.Set("optionMax", maxima);
  Napi::Array states = Napi::Array::New(env);
  for (int state = 0; state < 64; state++) {
    const char* name = ka_tcp_state_name(state);
    if (name != nullptr) states.Set(state, Napi::String::New(env, name));
  }
  exports.Set("tcpStates", states);
  exports.Set("statusAvailable", Napi::Boolean::New(env, ka_status_available() != 0));
  exports.Set("status", Napi::Function::New(env, Status, "status"));
  exports.Set("systemDefaults", Napi::Function::New(env, SystemDefaults, "systemDefaults"));
  exports.Set("defaultTimeUnitMs", Napi::Number::New(env, ka_default_time_unit_ms()));
  exports.Set("acceptInherits", Napi::Boolean::New(env, ka_accept_inherits() != 0));
  exports.Set("set", Napi::Function::New(env, Set, "set"));
  exports.Set("get", Napi::Function::New(env, Get, "get"));
  return exports;
}

}  // namespace

NODE_API_MODULE(tcp_keepalive, Init)
