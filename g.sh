check-descriptors 1209: ; echo "check=$?"
dfu-util -l
vm_autoattach_start
dfu-util -e; echo "detach=$?"
vm_wait_mode 1209 dfu 30; echo "wait=$?"
check-descriptors 1209: ; echo "check=$?"
dfu-util -l
dfu-util --alt 0 --upload slot0_backup.bin; echo "up=$?"
dfu-util --alt 1 --download app.bin; echo "down=$?"
