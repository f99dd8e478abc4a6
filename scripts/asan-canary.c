/*
 * A deliberately faulty addon for scripts/asan.sh: proves the sanitizers are
 * really active in the Node process before their silence is trusted.
 * leak() loses an allocation; overflow() writes past the end of one.
 */
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

static void *volatile kept;

static napi_value Leak(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  char *block = malloc(4242);
  if (block != NULL) memset(block, 1, 4242);
  kept = block;
  kept = NULL;
  return NULL;
}

static napi_value Overflow(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  char *volatile block = malloc(8);
  if (block != NULL) block[8] = 1;
  free(block);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "leak", NAPI_AUTO_LENGTH, Leak, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "leak", fn) != napi_ok ||
      napi_create_function(env, "overflow", NAPI_AUTO_LENGTH, Overflow, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "overflow", fn) != napi_ok) {
    return NULL;
  }
  return exports;
}
