/* The system's libcrypt (libxcrypt): crypt_rn for bcrypt password hashes. */
#include <crypt.h>
