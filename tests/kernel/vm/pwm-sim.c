// SPDX-License-Identifier: GPL-2.0
/*
 * pwm-sim: a PWM chip with no hardware, for testing programs that use the kernel's PWM core and
 * its sysfs class (/sys/class/pwm) in the test VM, as gpio-sim does for GPIO. It takes what the
 * core hands its .apply() and reports it in /sys/devices/platform/pwm-sim/channels, one line per
 * channel: "<period_ns> <duty_ns> <normal|inversed> <0|1>", and the number of successful applies
 * in .../applies. Like real chips it refuses some states, so a test can see the program cope:
 *   - a period outside [min_period_ns, max_period_ns] (module parameters): -EINVAL;
 *   - a change of polarity while the channel is enabled: -EBUSY (many drivers need it off).
 * The core itself refuses a period of 0 and a duty cycle longer than the period.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/pwm.h>
#include <linux/slab.h>

static unsigned int npwm = 2;
module_param(npwm, uint, 0444);
MODULE_PARM_DESC(npwm, "number of channels (1-16)");
static ulong min_period_ns = 1000;
module_param(min_period_ns, ulong, 0444);
MODULE_PARM_DESC(min_period_ns, "shortest period the chip accepts");
static ulong max_period_ns = 1000000000;
module_param(max_period_ns, ulong, 0444);
MODULE_PARM_DESC(max_period_ns, "longest period the chip accepts");

struct pwm_sim {
	struct pwm_chip chip;
	struct platform_device *pdev;
	struct mutex lock; /* states and applies */
	struct pwm_state states[16];
	unsigned long applies;
};

static struct pwm_sim *sim;

static int pwm_sim_apply(struct pwm_chip *chip, struct pwm_device *pwm, const struct pwm_state *state)
{
	struct pwm_state *current_state = &sim->states[pwm->hwpwm];
	int ret = 0;

	mutex_lock(&sim->lock);
	if (state->period < min_period_ns || state->period > max_period_ns)
		ret = -EINVAL;
	else if (state->duty_cycle > state->period)
		ret = -EINVAL;
	else if (current_state->enabled && state->enabled && state->polarity != current_state->polarity)
		ret = -EBUSY;
	if (!ret) {
		*current_state = *state;
		sim->applies++;
	}
	mutex_unlock(&sim->lock);
	return ret;
}

static const struct pwm_ops pwm_sim_ops = {
	.apply = pwm_sim_apply,
	.owner = THIS_MODULE,
};

static ssize_t channels_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	unsigned int i;
	ssize_t len = 0;

	mutex_lock(&sim->lock);
	for (i = 0; i < npwm; i++) {
		const struct pwm_state *s = &sim->states[i];

		len += sysfs_emit_at(buf, len, "%llu %llu %s %d\n", (unsigned long long)s->period,
				     (unsigned long long)s->duty_cycle,
				     s->polarity == PWM_POLARITY_INVERSED ? "inversed" : "normal", s->enabled ? 1 : 0);
	}
	mutex_unlock(&sim->lock);
	return len;
}
static DEVICE_ATTR_RO(channels);

static ssize_t applies_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	unsigned long applies;

	mutex_lock(&sim->lock);
	applies = sim->applies;
	mutex_unlock(&sim->lock);
	return sysfs_emit(buf, "%lu\n", applies);
}
static DEVICE_ATTR_RO(applies);

static int __init pwm_sim_init(void)
{
	int ret;

	if (npwm < 1 || npwm > ARRAY_SIZE(sim->states))
		return -EINVAL;
	sim = kzalloc(sizeof(*sim), GFP_KERNEL);
	if (!sim)
		return -ENOMEM;
	mutex_init(&sim->lock);
	sim->pdev = platform_device_register_simple("pwm-sim", PLATFORM_DEVID_NONE, NULL, 0);
	if (IS_ERR(sim->pdev)) {
		ret = PTR_ERR(sim->pdev);
		goto free;
	}
	ret = device_create_file(&sim->pdev->dev, &dev_attr_channels);
	if (!ret)
		ret = device_create_file(&sim->pdev->dev, &dev_attr_applies);
	if (ret)
		goto unregister;
	sim->chip.dev = &sim->pdev->dev;
	sim->chip.ops = &pwm_sim_ops;
	sim->chip.npwm = npwm;
	ret = pwmchip_add(&sim->chip);
	if (ret)
		goto unregister;
	return 0;

unregister:
	device_remove_file(&sim->pdev->dev, &dev_attr_applies);
	device_remove_file(&sim->pdev->dev, &dev_attr_channels);
	platform_device_unregister(sim->pdev);
free:
	kfree(sim);
	return ret;
}

static void __exit pwm_sim_exit(void)
{
	pwmchip_remove(&sim->chip);
	device_remove_file(&sim->pdev->dev, &dev_attr_applies);
	device_remove_file(&sim->pdev->dev, &dev_attr_channels);
	platform_device_unregister(sim->pdev);
	kfree(sim);
}

module_init(pwm_sim_init);
module_exit(pwm_sim_exit);
MODULE_DESCRIPTION("A PWM chip without hardware that reports what it was set to, for tests");
MODULE_LICENSE("GPL");
