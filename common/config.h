/* Build options a product picks, as compile-time constants.
 *
 * CMake sets them from cache variables (see the top-level CMakeLists.txt
 * and docs/configuration.md); a build that does not go through CMake gets
 * the defaults below. Code tests them with plain `if (CONFIG_X)`, never
 * with #if, so every configuration is compiled and type-checked and the
 * compiler drops what a configuration leaves out.
 *
 *   CONFIG_DFUBOOT_SIG_RSA         1: RSA-2048/3072 PSS signatures are checked
 *   CONFIG_DFUBOOT_SIG_ECDSA_P256  1: ECDSA P-256 signatures are checked
 *   CONFIG_DFUBOOT_SIG_ECDSA_P384  1: ECDSA P-384 signatures (SHA-384 images)
 *   CONFIG_DFUBOOT_SIG_ED25519     1: Ed25519 signatures are checked (over
 *                                  the SHA-256 digest, and pure over SHA-512)
 *       An image signed with an algorithm left out fails validation with
 *       DFB_ENOTSUP ("signature algorithm not supported by this build").
 *   CONFIG_DFUBOOT_LOG_LEVEL       bootloader log lines: 0 none, 1 errors,
 *                                  2 errors and warnings, 3 also MCUboot's
 *                                  info lines (the default)
 *   CONFIG_DFUBOOT_FAIL_REASONS    1: image_validate() names why an image is
 *       invalid (struct image_info.reason); 0: only "ok" or "invalid", and
 *       the strings are not in the binary */
#ifndef DFUBOOT_COMMON_CONFIG_H
#define DFUBOOT_COMMON_CONFIG_H

#ifndef CONFIG_DFUBOOT_SIG_RSA
#define CONFIG_DFUBOOT_SIG_RSA 1
#endif
#ifndef CONFIG_DFUBOOT_SIG_ECDSA_P256
#define CONFIG_DFUBOOT_SIG_ECDSA_P256 1
#endif
#ifndef CONFIG_DFUBOOT_SIG_ECDSA_P384
#define CONFIG_DFUBOOT_SIG_ECDSA_P384 1
#endif
#ifndef CONFIG_DFUBOOT_SIG_ED25519
#define CONFIG_DFUBOOT_SIG_ED25519 1
#endif
#ifndef CONFIG_DFUBOOT_LOG_LEVEL
#define CONFIG_DFUBOOT_LOG_LEVEL 3
#endif
#ifndef CONFIG_DFUBOOT_FAIL_REASONS
#define CONFIG_DFUBOOT_FAIL_REASONS 1
#endif

#endif
