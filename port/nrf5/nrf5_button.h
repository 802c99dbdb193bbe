/* The recovery button of the board the port runs on, shared by the port
 * (port/nrf5/board.c reads it) and the host-side QEMU runner
 * (tools/vboard/vboard_qemu.c holds it for `vboard run --hold-button`).
 *
 * It is button A of the micro:bit: P0.17, active low, so the port configures
 * the pin as an input with the pull-up and reads 0 while the button is
 * held. (Button 1 of the nRF52840 DK is P0.11, also active low.) On QEMU
 * the pin is GPIO input 17 of the nRF51 SoC object; nothing drives it
 * until the runner does. */
#ifndef DFUBOOT_PORT_NRF5_NRF5_BUTTON_H
#define DFUBOOT_PORT_NRF5_NRF5_BUTTON_H

#define NRF5_BUTTON_PIN 17u
/* QEMU's QOM path of the SoC whose GPIO inputs are the pins */
#define NRF5_QEMU_GPIO_OWNER "/machine/nrf51"

#endif
