// The AF_PACKET half of the sipnic_tap addon (packet.cpp), registered by tap.cpp's Init.
#pragma once
#include <napi.h>

namespace sipnic {
void InitPacket(Napi::Env env, Napi::Object exports);
}
