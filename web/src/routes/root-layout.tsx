import { Outlet, ScrollRestoration, useNavigation } from 'react-router'

/** Everything every page shares, signed in or not: the navigation progress bar and scroll handling. */
export function RootLayout() {
  const navigation = useNavigation()
  return (
    <>
      <div className="route-progress" data-active={navigation.state !== 'idle'} aria-hidden="true" />
      <Outlet />
      <ScrollRestoration />
    </>
  )
}
